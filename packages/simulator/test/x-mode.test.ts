import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseXModeAnswer, type Simulator, startSimulator, X_NO_ANSWER_STATE_CODE } from "../src/index.js";
import { client } from "./harness.js";

const X = "+8613800000001";
const A = "+8613900000001";
const B = "+8613900000002";
const app = { appKey: "xk", appSecret: "xs" };

interface Received {
  eventType: string;
  body: Record<string, unknown>;
  signed: boolean;
}

/** An app server: answers `callin` with `answer(body)` (status and text; undefined: never), records every push. */
async function appServer(
  answer: (callin: Record<string, unknown>) => { status: number; text: string } | undefined,
) {
  const pushes: Received[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => {
      text += c.toString();
    });
    req.on("end", () => {
      const token = String(req.headers["x-aksk"] ?? "");
      const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(token)?.[1] ?? "";
      const digest = createHmac("sha256", app.appSecret)
        .update(attr("Nonce") + attr("Created"))
        .digest("base64");
      const body = JSON.parse(text) as Record<string, unknown>;
      pushes.push({ eventType: String(body.eventType), body, signed: digest === attr("PasswordDigest") });
      if (body.eventType !== "callin") {
        res.writeHead(200);
        res.end();
        return;
      }
      const reply = answer(body);
      if (reply === undefined) return; // held until the server closes
      res.writeHead(reply.status, { "Content-Type": "application/json" });
      res.end(reply.text);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, pushes, close };
}

let sim: Simulator | undefined;
let closeApp: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeApp?.();
  sim = undefined;
  closeApp = undefined;
});

async function setup(answer: Parameters<typeof appServer>[0], answerTimeoutMs?: number) {
  const rx = await appServer(answer);
  closeApp = rx.close;
  sim = await startSimulator({
    apps: [{ ...app, mode: "X", numbers: [{ x: X }] }],
    push: { url: `${rx.url}/callstatus`, timeScale: 0.001 },
    ...(answerTimeoutMs === undefined ? {} : { xMode: { answerTimeoutMs } }),
  });
  return { rx, sim };
}

const json = (body: object) => ({ status: 200, text: JSON.stringify(body) });
const status = (r: Received) => r.body.statusInfo as Record<string, unknown>;

describe("X mode: Block callin", () => {
  it("asks the app with a signed Block callin and connects the call to the number it answers", async () => {
    const { rx, sim } = await setup(() =>
      json({ operation: "connect", connectInfo: { displayCalleeNum: X, calleeNum: B, recordFlag: "true" } }),
    );
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A, durationSeconds: 90 });
    await sim.pushesIdle();
    expect(call).toMatchObject({ outcome: "connected", x: X, caller: A, called: B });
    expect(call.pushed).toEqual(["callin", "alerting", "answer", "disconnect", "fee"]);
    expect(rx.pushes.map((p) => p.eventType)).toEqual(call.pushed);
    expect(rx.pushes.every((p) => p.signed)).toBe(true);
    const callin = status(rx.pushes[0]!);
    expect(callin).toMatchObject({ caller: A, called: X, notifyMode: "Block", sessionId: call.sessionId });
    expect(callin).not.toHaveProperty("subscriptionId");
    expect(status(rx.pushes[3]!)).toMatchObject({ stateCode: 0, called: B, sessionId: call.sessionId });
    const [cdr] = rx.pushes[4]!.body.feeLst as Record<string, unknown>[];
    expect(cdr).toMatchObject({ bindNum: X, callerNum: A, calleeNum: B, fwdDstNum: B, fwdDisplayNum: X });
    expect(cdr).toMatchObject({ recordFlag: 1, sessionId: call.sessionId });
    expect(cdr).not.toHaveProperty("subscriptionId");
  });

  it("takes connectInfo as a one-element array (Huawei's demo code) and cuts the call at maxDuration", async () => {
    const { rx, sim } = await setup(() =>
      json({ operation: "connect", connectInfo: [{ calleeNum: B, maxDuration: "1" }] }),
    );
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A, durationSeconds: 300 });
    await sim.pushesIdle();
    expect(call.outcome).toBe("connected");
    const disconnect = rx.pushes.find((p) => p.eventType === "disconnect")!;
    expect(status(disconnect).stateCode).toBe(8010);
    const [cdr] = rx.pushes.find((p) => p.eventType === "fee")!.body.feeLst as Record<string, unknown>[];
    expect(cdr).toMatchObject({ fwdAnswerTime: expect.any(String), ulFailReason: 8010 });
    const seconds = (t: unknown) => Date.parse(`${String(t).replace(" ", "T")}Z`) / 1000;
    expect(seconds(cdr!.callEndTime) - seconds(cdr!.fwdAnswerTime)).toBe(60);
  });

  it("ends the call when the app answers close", async () => {
    const { rx, sim } = await setup(() =>
      json({ operation: "close", closeInfo: { closeHintTone: "bye.wav" } }),
    );
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A });
    await sim.pushesIdle();
    expect(call).toMatchObject({
      outcome: "closed",
      answer: { operation: "close", closeHintTone: "bye.wav" },
    });
    expect(call.pushed).toEqual(["callin", "disconnect", "fee"]);
    const [cdr] = rx.pushes[2]!.body.feeLst as Record<string, unknown>[];
    expect(cdr).toMatchObject({ direction: 2, callerNum: A, bindNum: X });
    expect(cdr).not.toHaveProperty("fwdDstNum");
  });

  it.each([
    ["an error status", { status: 500, text: "" }, "noAnswer"],
    ["an empty 200", { status: 200, text: "" }, "invalidAnswer"],
    ["connect without a callee", json({ operation: "connect", connectInfo: {} }), "invalidAnswer"],
    ["an unknown operation", json({ operation: "forward" }), "invalidAnswer"],
  ] as const)("ends the call on %s", async (_name, reply, outcome) => {
    const { rx, sim } = await setup(() => reply);
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A });
    await sim.pushesIdle();
    expect(call.outcome).toBe(outcome);
    expect(status(rx.pushes[1]!)).toMatchObject({ stateCode: X_NO_ANSWER_STATE_CODE });
    // Block mode is not retried: the caller is waiting.
    expect(rx.pushes.filter((p) => p.eventType === "callin")).toHaveLength(1);
  });

  it("ends the call when the app does not answer in time", async () => {
    const { rx, sim } = await setup(() => undefined, 50);
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A });
    await sim.pushesIdle();
    expect(call.outcome).toBe("noAnswer");
    expect(rx.pushes.map((p) => p.eventType)).toEqual(["callin", "disconnect", "fee"]);
  });

  it("does not ask about an X without call permission", async () => {
    const { rx, sim } = await setup(() => json({ operation: "connect", connectInfo: { calleeNum: B } }));
    sim.setNumberStatus(app.appKey, X, "paused");
    const call = await sim.simulateXCall(app.appKey, { x: X, caller: A });
    await sim.pushesIdle();
    expect(call.outcome).toBe("blocked");
    expect(status(rx.pushes.find((p) => p.eventType === "disconnect")!).stateCode).toBe(8055);
  });

  it("has no binding APIs for an X-mode app (1010040)", async () => {
    const { sim } = await setup(() => json({ operation: "close" }));
    const answer = await client(sim, app.appKey, app.appSecret)(
      "POST",
      "/rest/caas/relationnumber/partners/v1.0",
      { body: { callerNum: A, calleeNum: B, relationNum: X } },
    );
    expect(answer.body.resultcode).toBe("1010040");
  });
});

describe("parseXModeAnswer", () => {
  it("reads booleans and minutes as the platform's clients write them", () => {
    expect(
      parseXModeAnswer(
        JSON.stringify({
          operation: "connect",
          connectInfo: { calleeNum: B, recordFlag: "false", maxDuration: "30", userData: "u" },
        }),
      ),
    ).toEqual({ operation: "connect", calleeNum: B, recordFlag: false, maxDuration: 30, userData: "u" });
    expect(parseXModeAnswer(JSON.stringify({ operation: "close" }))).toEqual({ operation: "close" });
    expect(parseXModeAnswer("not json")).toBeUndefined();
    expect(
      parseXModeAnswer(
        JSON.stringify({ operation: "connect", connectInfo: { calleeNum: B, maxDuration: 2000 } }),
      ),
    ).toBeUndefined();
  });
});
