import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfigFile } from "../src/config.js";
import { type Simulator, startSimulator } from "../src/index.js";
import { AX_PATH, AXB_PATH, client, controlClient, receiver } from "./harness.js";

const TOKEN = "test-control-token";
const X1 = "+8613800000001";
const X2 = "+8613800000002";
const AX_X = "+8617000000001";
const X_MODE_X = "+8617200000001";
const A = "+8613900000001";
const B = "+8613900000002";
const C = "+8613900000003";

let sim: Simulator | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeReceiver?.();
  sim = undefined;
  closeReceiver = undefined;
});

/** A simulator started from a config file whose push targets and callin URL point at a real receiver. */
async function setup(extra: Record<string, unknown> = {}) {
  const rx = await receiver("s");
  closeReceiver = rx.close;
  const file = join(mkdtempSync(join(tmpdir(), "sim-control-")), "sim.json");
  const config = {
    port: 0,
    push: {
      url: `${rx.url}/all`,
      callEventsUrl: `${rx.url}/calls`,
      feeUrl: `${rx.url}/fee`,
      statusUrl: `${rx.url}/status`,
      retryScheduleMs: [10],
      timeScale: 1,
    },
    xMode: { callinUrl: `${rx.url}/callin`, answerTimeoutMs: 5_000 },
    control: { token: TOKEN },
    apps: [
      { appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X1 }, { x: X2 }] },
      { appKey: "ax", appSecret: "s", mode: "AX", numbers: [{ x: AX_X }] },
      { appKey: "xk", appSecret: "s", mode: "X", numbers: [{ x: X_MODE_X }] },
    ],
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config));
  sim = await startSimulator(loadConfigFile(file));
  const platform = client(sim, "k", "s");
  const bound = await platform("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
  expect(bound.body.resultcode).toBe("0");
  return {
    rx,
    sim,
    platform,
    subscriptionId: String(bound.body.subscriptionId),
    control: controlClient(sim.controlUrl ?? "", TOKEN),
  };
}

const events = (pushes: { path: string; body: Record<string, unknown> }[], path: string) =>
  pushes.filter((p) => p.path === path).map((p) => String(p.body.eventType));

describe("control API", () => {
  it("is served under /sim of the simulator's own URL when control.token is set", async () => {
    const { sim } = await setup();
    expect(sim.controlUrl).toBe(`${sim.url}/sim`);
  });

  it("refuses requests without the bearer token, or with another, and does not count them as platform traffic", async () => {
    const { sim } = await setup();
    sim.resetStats();
    for (const token of [undefined, "wrong-token", `${TOKEN}x`]) {
      const res = await controlClient(`${sim.url}/sim`, token)("GET", "/bindings");
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.body.error).toMatch(/Authorization: Bearer/);
    }
    // Unknown control paths are behind the token too: nothing is told before it.
    expect((await controlClient(`${sim.url}/sim`)("GET", "/nope")).status).toBe(401);
    expect(sim.stats().requests).toBe(0);
  });

  it("is off without control.token: /sim answers 404 like any path the platform does not have", async () => {
    const { sim } = await setup({ control: undefined });
    expect(sim.controlUrl).toBeUndefined();
    const res = await controlClient(`${sim.url}/sim`, TOKEN)("GET", "/bindings");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ resultcode: "1010002" });
  });

  it("lists live bindings, of one app or of all", async () => {
    const { control, subscriptionId } = await setup();
    const all = await control("GET", "/bindings");
    expect(all.status).toBe(200);
    expect(all.body.bindings).toEqual([
      expect.objectContaining({ appKey: "k", mode: "AXB", subscriptionId, x: X1, a: A, b: B }),
    ]);
    expect((await control("GET", "/bindings?appKey=ax")).body).toEqual({ bindings: [] });
    const unknown = await control("GET", "/bindings?appKey=nobody");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toContain("nobody");
  });

  it("simulates a call between two numbers: caller dials X, events reach callEventsUrl and the CDR feeUrl", async () => {
    const { control, rx, subscriptionId } = await setup();
    const res = await control("POST", "/calls", { x: X1, caller: B, durationSeconds: 30 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      appKey: "k",
      subscriptionId,
      caller: B,
      called: A,
      pushed: ["callin", "alerting", "answer", "disconnect", "fee"],
    });
    // Each push's first attempt is made before the answer: no waiting.
    expect(events(rx.pushes, "/calls")).toEqual(["callin", "alerting", "answer", "disconnect"]);
    expect(events(rx.pushes, "/fee")).toEqual(["fee"]);
    expect(rx.pushes.every((p) => p.signed)).toBe(true);
    const [cdr] = rx.pushes.find((p) => p.path === "/fee")!.body.feeLst as Record<string, unknown>[];
    expect(cdr).toMatchObject({ sessionId: res.body.sessionId, callerNum: B, calleeNum: A, bindNum: X1 });
  });

  it("simulates a call by subscriptionId, unanswered, and reaches A of an AX binding from any caller", async () => {
    const { control, rx, subscriptionId, sim } = await setup();
    const res = await control("POST", "/calls", { subscriptionId, from: "a", answered: false });
    expect(res.body).toMatchObject({
      caller: A,
      called: B,
      pushed: ["callin", "alerting", "disconnect", "fee"],
    });
    const ax = await client(sim, "ax", "s")("POST", AX_PATH, { body: { origNum: A, privateNum: AX_X } });
    expect(ax.body.resultcode).toBe("0");
    const inbound = await control("POST", "/calls", { x: AX_X, caller: C });
    expect(inbound.body).toMatchObject({ appKey: "ax", caller: C, called: A });
    expect(events(rx.pushes, "/fee")).toHaveLength(2);
  });

  it("holds an answered call open until /calls/end, which pushes its disconnect and CDR", async () => {
    const { control, rx } = await setup();
    const started = await control("POST", "/calls", { x: X1, caller: A, hold: true });
    expect(started.body).toMatchObject({ live: true, pushed: ["callin", "alerting", "answer"] });
    expect(events(rx.pushes, "/fee")).toEqual([]);
    const ended = await control("POST", "/calls/end", { sessionId: started.body.sessionId });
    expect(ended.body).toEqual({ appKey: "k", sessionId: started.body.sessionId, ended: true });
    expect(events(rx.pushes, "/calls")).toEqual(["callin", "alerting", "answer", "disconnect"]);
    expect(events(rx.pushes, "/fee")).toEqual(["fee"]);
    const again = await control("POST", "/calls/end", { sessionId: started.body.sessionId });
    expect(again.status).toBe(404);
  });

  it("plays a call to an X-mode number: the Block callin goes to xMode.callinUrl", async () => {
    const { control, rx } = await setup();
    const res = await control("POST", "/calls", { x: X_MODE_X, caller: C });
    // The receiver answers 200 without a routing decision: the call ends without connecting.
    expect(res.body).toMatchObject({
      appKey: "xk",
      outcome: "invalidAnswer",
      pushed: ["callin", "disconnect", "fee"],
    });
    expect(events(rx.pushes, "/callin")).toEqual(["callin"]);
    expect(events(rx.pushes, "/fee")).toEqual(["fee"]);
  });

  it("changes an X's status: numStatus is pushed to statusUrl and binds on it follow the status", async () => {
    const { control, rx, sim, platform } = await setup();
    const res = await control("POST", "/numbers/status", { x: X2, status: "abnormal", cause: 2 });
    expect(res.body).toEqual({ appKey: "k", x: X2, status: "abnormal", statusCode: 10, cause: 2 });
    await sim.pushesIdle();
    expect(rx.pushes.filter((p) => p.path === "/status").map((p) => p.body)).toEqual([
      { eventType: "numStatus", numInfo: [{ number: X2, status: 10, cause: 2 }] },
    ]);
    const bind = await platform("POST", AXB_PATH, { body: { callerNum: A, calleeNum: C, relationNum: X2 } });
    expect(bind.body.resultcode).toBe("1012102");
  });

  it("injects faults at run time: the next platform request fails as injected, until they are cleared", async () => {
    const { control, platform } = await setup();
    const set = await control("POST", "/faults", { serverErrorRate: 1 });
    expect(set.body).toEqual({ faults: { serverErrorRate: 1 } });
    const failed = await platform("GET", AXB_PATH, { query: { relationNum: X1 } });
    expect(failed.status).toBe(500);
    expect(failed.body.resultcode).toBe("1010001");

    await control("POST", "/faults", { serverErrorRate: 0, flowControlRate: 1 });
    expect((await control("GET", "/faults")).body).toEqual({
      faults: { serverErrorRate: 0, flowControlRate: 1 },
    });
    expect((await platform("GET", AXB_PATH, { query: { relationNum: X1 } })).body.resultcode).toBe("1010010");

    expect((await control("DELETE", "/faults")).body).toEqual({ faults: {} });
    expect((await platform("GET", AXB_PATH, { query: { relationNum: X1 } })).body.resultcode).toBe("0");
  });

  it("reads and resets the platform and push statistics", async () => {
    const { control } = await setup();
    const stats = await control("GET", "/stats");
    expect(stats.body.platform).toMatchObject({ requests: 1, byResultCode: { "0": 1 } });
    expect(stats.body.pushes).toEqual({ delivered: 0, failedAttempts: 0, pending: 0, gaveUp: 0 });
    const reset = await control("DELETE", "/stats");
    expect(reset.body.platform).toMatchObject({ requests: 0, byResultCode: {} });
  });

  it("answers bad input with 400 and a message naming the problem", async () => {
    const { control } = await setup();
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", "/calls", "{not json", /not valid JSON/],
      ["POST", "/calls", [1], /expected object/],
      ["POST", "/calls", { x: X1, caller: A, colour: "red" }, /Unrecognized key: "colour"/],
      ["POST", "/calls", { x: X1 }, /give x and caller/],
      ["POST", "/calls", { subscriptionId: "1" }, /needs from/],
      ["POST", "/calls", { x: "12", caller: A }, /at x: must be a number/],
      ["POST", "/calls", { x: X1, caller: A, durationSeconds: -1 }, /at durationSeconds/],
      ["POST", "/numbers/status", { x: X1, status: "broken" }, /at status/],
      ["POST", "/faults", { serverErrorRate: 2 }, /at serverErrorRate/],
      ["POST", "/faults", { latencyMs: "slow" }, /at latencyMs/],
      ["POST", "/calls/end", {}, /at sessionId/],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await control(method, path, body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 400 });
      expect(res.body.error).toMatch(message);
    }
    const missing = await control("POST", "/calls", { x: X2, caller: C });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no live binding/);
    expect((await control("POST", "/numbers/status", { x: "+8600000000", status: "normal" })).status).toBe(
      404,
    );
    const method = await control("PUT", "/faults", {});
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("GET, POST, DELETE");
    expect((await control("GET", "/nothing")).status).toBe(404);
  });

  it("answers 409 to a call when no push target is configured", async () => {
    const { control } = await setup({ push: undefined, xMode: undefined });
    const res = await control("POST", "/calls", { x: X1, caller: A });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/push/);
  });
});
