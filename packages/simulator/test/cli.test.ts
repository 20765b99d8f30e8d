import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AX_PATH, AXB_PATH, AXE_PATH, authHeaders } from "./harness.js";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../sim.example.json", import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
});

/** Starts the CLI and resolves with its stdout once it prints the URL (and the lines printed with it). */
function startCli(args: string[]): Promise<{ url: string; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    let errors = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (\S+)/.exec(output);
      // Wait for the app lines that follow the URL.
      if (m?.[1] && /\n {2}app .*\n/.test(output)) setTimeout(() => resolve({ url: m[1]!, output }), 50);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`CLI exited with ${code}: ${errors}`)));
  });
}

describe("bindpool-sim CLI", () => {
  it("serves the apps of a JSON config file, with numbers expanded from count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
    const config = JSON.parse(readFileSync(EXAMPLE, "utf8")) as Record<string, unknown>;
    const file = join(dir, "sim.json");
    writeFileSync(file, JSON.stringify({ ...config, port: 0, faults: {} }));
    const { url, output } = await startCli(["--config", file]);
    expect(output).toContain("app demo-axb-key (AXB): 30 numbers");
    const res = await fetch(`${url}${AXB_PATH}`, {
      method: "POST",
      headers: authHeaders("demo-axb-key", "demo-axb-secret", { scheme: "WSSE" }),
      body: JSON.stringify({ callerNum: "+8613900000001", calleeNum: "+8613900000002", areaCode: "010" }),
    });
    expect(await res.json()).toMatchObject({ resultcode: "0", relationNum: "+8613800000100" });
    const ax = await fetch(`${url}${AX_PATH}`, {
      method: "POST",
      headers: authHeaders("demo-ax-key", "demo-ax-secret"),
      body: JSON.stringify({ origNum: "+8613900000001", privateNum: "+8617000000010" }),
    });
    expect(await ax.json()).toMatchObject({ resultcode: "0" });
    expect(output).toContain("app demo-axe-key (AXE): 6 numbers");
    const axe = await fetch(`${url}${AXE_PATH}`, {
      method: "POST",
      headers: authHeaders("demo-axe-key", "demo-axe-secret"),
      body: JSON.stringify({ bindNum: "+8613900000001", areaCode: "010" }),
    });
    expect(await axe.json()).toMatchObject({
      resultcode: "0",
      virtualNum: "+8617100000100",
      extendNum: "01",
    });
  });

  it("builds an AXE app from flags with --extension-digits and --capacity", async () => {
    const { url, output } = await startCli([
      "--app-key",
      "e",
      "--app-secret",
      "s",
      "--mode",
      "axe",
      "--numbers",
      "+8617100000001",
      "--extension-digits",
      "1",
      "--capacity",
      "1",
    ]);
    expect(output).toContain("app e (AXE): 1 numbers");
    const bind = async (bindNum: string) =>
      (
        await fetch(`${url}${AXE_PATH}`, {
          method: "POST",
          headers: authHeaders("e", "s"),
          body: JSON.stringify({
            bindNum,
            virtualNum: "+8617100000001",
          }),
        })
      ).json();
    expect(await bind("+8613900000001")).toMatchObject({ resultcode: "0", extendNum: "1" });
    expect(await bind("+8613900000002")).toMatchObject({ resultcode: "1020167" });
  });

  it("builds an app from flags and serves HTTPS with the generated certificate written to --ca-out", async () => {
    const caOut = join(mkdtempSync(join(tmpdir(), "sim-cli-")), "ca.pem");
    const { url, output } = await startCli([
      "--app-key",
      "k",
      "--app-secret",
      "s",
      "--numbers",
      "+8613800000001*3:0755:GD",
      "--https",
      "--ca-out",
      caOut,
    ]);
    expect(url).toMatch(/^https:/);
    expect(output).toContain(caOut);
    const ca = readFileSync(caOut, "utf8");
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${url}${AXB_PATH}?relationNum=%2B8613800000003`,
        { method: "GET", ca, headers: authHeaders("k", "s") },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toMatchObject({ resultcode: "0", totalCount: 0 });
  });

  it("exits with an explanation when no app is configured", async () => {
    await expect(startCli(["--port", "0"])).rejects.toThrow(/no app configured/);
  });
});
