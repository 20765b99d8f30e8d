import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AX_PATH, AXB_PATH, AXE_PATH, authHeaders, controlClient, receiver } from "./harness.js";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../sim.example.json", import.meta.url));

const children: ChildProcess[] = [];
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
  await closeReceiver?.();
  closeReceiver = undefined;
});

interface RunningCli {
  url: string;
  output: string;
  child: ChildProcess;
  /** Everything written to stderr so far. */
  errors(): string;
}

/**
 * Starts the CLI and resolves once it printed its start banner: the "listening" line, then the lines
 * about apps, pushes and the control API, up to the last one ("stop with ...").
 */
function startCli(args: string[]): Promise<RunningCli> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    let errors = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (\S+)\n[\s\S]*\n {2}stop with .*\n/.exec(output);
      if (m?.[1]) resolve({ url: m[1], output, child, errors: () => errors });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`CLI exited with ${code}: ${errors}`)));
  });
}

/** Runs the CLI to its end (for runs that must fail at once): its exit code and stderr. */
function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

/** Resolves with the exit code once the process has exited. */
function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Writes a config file into a fresh temp folder and returns its path. */
function configFile(config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "sim-cli-")), "sim.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
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

  it("with a config file is the whole sandbox: platform API, pushes to the config's targets, control API", async () => {
    const rx = await receiver("sandbox-secret");
    closeReceiver = rx.close;
    const file = configFile({
      port: 0,
      push: { url: `${rx.url}/all`, callEventsUrl: `${rx.url}/calls`, feeUrl: `${rx.url}/fee` },
      control: { token: "ci-token" },
      apps: [
        { appKey: "sandbox", appSecret: "sandbox-secret", mode: "AXB", numbers: [{ x: "+8613800000001" }] },
      ],
    });
    const { url, output } = await startCli(["--config", file]);
    expect(output).toContain("app sandbox (AXB): 1 numbers");
    expect(output).toContain(
      `pushes: call events -> ${rx.url}/calls, CDRs -> ${rx.url}/fee, X status -> ${rx.url}/all`,
    );
    expect(output).toContain(`control API: ${url}/sim`);
    expect(output).not.toContain("ci-token");

    const bound = await fetch(`${url}${AXB_PATH}`, {
      method: "POST",
      headers: authHeaders("sandbox", "sandbox-secret"),
      body: JSON.stringify({ callerNum: "+8613900000001", calleeNum: "+8613900000002" }),
    });
    const { resultcode, subscriptionId } = (await bound.json()) as Record<string, string>;
    expect(resultcode).toBe("0");

    const control = controlClient(`${url}/sim`, "ci-token");
    expect((await control("GET", "/bindings")).body.bindings).toEqual([
      expect.objectContaining({ subscriptionId, x: "+8613800000001" }),
    ]);
    const call = await control("POST", "/calls", { x: "+8613800000001", caller: "+8613900000002" });
    expect(call.status).toBe(200);
    expect(rx.pushes.map((p) => `${p.path} ${String(p.body.eventType)}`)).toEqual([
      "/calls callin",
      "/calls alerting",
      "/calls answer",
      "/calls disconnect",
      "/fee fee",
    ]);
    expect(rx.pushes.every((p) => p.signed)).toBe(true);
    expect((await control("POST", "/numbers/status", { x: "+8613800000001", status: "paused" })).status).toBe(
      200,
    );
    expect((await controlClient(`${url}/sim`, "wrong")("GET", "/bindings")).status).toBe(401);
  });

  it.each(["SIGINT", "SIGTERM"] as const)("exits cleanly (code 0) on %s", async (signal) => {
    const { child, errors } = await startCli([
      "--app-key",
      "k",
      "--app-secret",
      "s",
      "--numbers",
      "+8613800000001",
    ]);
    child.kill(signal);
    expect(await exited(child)).toBe(0);
    expect(errors()).toContain(`${signal}, stopping`);
  });

  it("takes push targets and the control token from flags, over the config file", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const file = configFile({
      push: { url: "http://127.0.0.1:1/unused" },
      apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: "+8613800000001" }] }],
    });
    const { url, output } = await startCli([
      "--config",
      file,
      "--push-url",
      `${rx.url}/all`,
      "--push-status-url",
      `${rx.url}/status`,
      "--control-token",
      "flag-token",
    ]);
    expect(output).toContain(`X status -> ${rx.url}/status`);
    const res = await controlClient(`${url}/sim`, "flag-token")("POST", "/numbers/status", {
      x: "+8613800000001",
      status: "frozen",
    });
    expect(res.body).toMatchObject({ statusCode: 11 });
    const deadline = Date.now() + 10_000;
    while (rx.pushes.length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(rx.pushes.map((p) => [p.path, p.body])).toEqual([
      ["/status", { eventType: "numStatus", numInfo: [{ number: "+8613800000001", status: 11 }] }],
    ]);
  });

  it("refuses unknown keys in the config file and unknown flags, naming them", async () => {
    const file = configFile({
      apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: "+8613800000001" }] }],
      push: { url: "http://127.0.0.1:1", statusURL: "http://127.0.0.1:2" },
    });
    const badKey = await runCli(["--config", file]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('invalid config: at push: Unrecognized key: "statusURL"');
    const badFlag = await runCli(["--config", file.replace("sim.json", "none.json"), "--push-urll", "x"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--push-urll'");
  });

  it("refuses push flags without a push URL, and bad URLs", async () => {
    const app = ["--app-key", "k", "--app-secret", "s", "--numbers", "+8613800000001"];
    const noUrl = await runCli([...app, "--push-fee-url", "http://127.0.0.1:1/fee"]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain("--push-* flags need --push-url");
    const badUrl = await runCli([...app, "--push-url", "localhost:8080"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("at url: must be an http(s) URL");
  });
});
