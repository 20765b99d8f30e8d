import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE_MS, type Simulator, startSimulator } from "../src/index.js";
import { AXB_PATH, client, receiver } from "./harness.js";

const X = "+8613800000001";
const A = "+8613900000001";
const B = "+8613900000002";
const app = { appKey: "k", appSecret: "s" };

let sim: Simulator | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeReceiver?.();
  sim = undefined;
  closeReceiver = undefined;
});

async function setup(status?: (attempt: number) => number, extra: { retryScheduleMs?: number[] } = {}) {
  const rx = await receiver(app.appSecret, status);
  closeReceiver = rx.close;
  sim = await startSimulator({
    apps: [{ ...app, mode: "AXB", numbers: [{ x: X }, { x: "+8613800000002" }] }],
    push: {
      url: `${rx.url}/calls`,
      statusUrl: `${rx.url}/Xnumber/status`,
      feeUrl: `${rx.url}/fee`,
      timeScale: 0.001,
      ...extra,
    },
  });
  return { rx, sim };
}

describe("notification pushes", () => {
  it("defaults to the platform's retry schedule: 1, 4, 9, 106, 203, 300 minutes", () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS.map((ms) => ms / 60_000)).toEqual([1, 4, 9, 106, 203, 300]);
  });

  it("pushes X number status changes with the platform's codes, signed AKSK with a fresh nonce each", async () => {
    const { rx, sim } = await setup();
    sim.setNumberStatus("k", X, "paused");
    sim.setNumberStatus("k", X, "abnormal", 2);
    sim.setNumberStatus("k", X, "frozen");
    sim.setNumberStatus("k", X, "normal");
    await sim.pushesIdle();
    const sorted = [...rx.pushes].sort(
      (p, q) => [9, 10, 11, 5].indexOf(status(p.body)) - [9, 10, 11, 5].indexOf(status(q.body)),
    );
    expect(sorted.map((p) => p.body)).toEqual([
      { eventType: "numStatus", numInfo: [{ number: X, status: 9 }] },
      { eventType: "numStatus", numInfo: [{ number: X, status: 10, cause: 2 }] },
      { eventType: "numStatus", numInfo: [{ number: X, status: 11 }] },
      { eventType: "numStatus", numInfo: [{ number: X, status: 5 }] },
    ]);
    expect(rx.pushes.every((p) => p.signed && p.path === "/Xnumber/status")).toBe(true);
    expect(new Set(rx.pushes.map((p) => p.nonce)).size).toBe(4);
    expect(sim.pushStats()).toEqual({ delivered: 4, failedAttempts: 0, pending: 0, gaveUp: 0 });
  });

  it("refuses binds on a paused or frozen X", async () => {
    const { sim } = await setup();
    const call = client(sim, "k", "s");
    for (const status of ["paused", "frozen"] as const) {
      sim.setNumberStatus("k", X, status);
      const res = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X } });
      expect(res.body.resultcode).toBe("1012102");
    }
  });

  it("simulates an answered call: callin, alerting, answer, disconnect, then its CDR, in order", async () => {
    const { rx, sim } = await setup();
    const { subscriptionId } = sim.bindBehindBack("k", { x: X, a: A, b: B });
    const call = await sim.simulateCall("k", { subscriptionId, from: "a", durationSeconds: 61 });
    expect(call).toMatchObject({ x: X, caller: A, called: B });
    expect(call.pushed).toEqual(["callin", "alerting", "answer", "disconnect", "fee"]);
    expect(rx.pushes.map((p) => p.body.eventType)).toEqual(call.pushed);
    expect(rx.pushes.map((p) => p.path)).toEqual(["/calls", "/calls", "/calls", "/calls", "/fee"]);
    const info = rx.pushes.map((p) => p.body.statusInfo as Record<string, unknown>);
    expect(info[0]).toMatchObject({ sessionId: call.sessionId, caller: A, called: X, subscriptionId });
    expect(info[0]?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(info[3]).toMatchObject({ stateCode: 0, stateDesc: "The user releases the call." });
    const [fee] = (rx.pushes[4]?.body.feeLst as Record<string, unknown>[]) ?? [];
    expect(fee).toMatchObject({
      appKey: "k",
      icid: call.icid,
      bindNum: X,
      sessionId: call.sessionId,
      callerNum: A,
      calleeNum: B,
      direction: 0,
      recordFlag: 0,
      ulFailReason: 0,
      fwdUnaswRsn: 31,
      serviceType: "004",
      subscriptionId,
    });
    const ms = (t: unknown) => Date.parse(`${String(t).replace(" ", "T")}Z`);
    expect(ms(fee?.callEndTime) - ms(fee?.fwdAnswerTime)).toBe(61_000);
  });

  it("simulates a call from B that nobody answers, echoing userData", async () => {
    const { rx, sim } = await setup();
    const call = client(sim, "k", "s");
    const bound = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X, userData: "order-7" },
    });
    const subscriptionId = String(bound.body.subscriptionId);
    const result = await sim.simulateCall("k", { subscriptionId, from: "b", answered: false });
    expect(result).toMatchObject({
      caller: B,
      called: A,
      pushed: ["callin", "alerting", "disconnect", "fee"],
    });
    expect(rx.pushes[0]?.body.statusInfo).toMatchObject({ userData: "order-7" });
    expect(rx.pushes[2]?.body.statusInfo).toMatchObject({ stateCode: 8101 });
    const [fee] = (rx.pushes[3]?.body.feeLst as Record<string, unknown>[]) ?? [];
    expect(fee).toMatchObject({ userData: "order-7", ulFailReason: 8101 });
    expect(fee).not.toHaveProperty("fwdAnswerTime");
  });

  it("simulates AX calls: a peer reaches A, and A reaches its temporary callee", async () => {
    const rx = await receiver(app.appSecret);
    closeReceiver = rx.close;
    sim = await startSimulator({
      apps: [{ ...app, mode: "AX", numbers: [{ x: X }] }],
      push: { url: rx.url },
    });
    const { subscriptionId } = sim.bindBehindBack("k", { x: X, a: A });
    const inbound = await sim.simulateCall("k", { subscriptionId, from: "b", peer: B });
    expect(inbound).toMatchObject({ caller: B, called: A });
    const call = client(sim, "k", "s");
    const C = "+8613900000003";
    await call("PUT", "/rest/caas/privatenumber/calleenumber/v1.0", {
      body: { subscriptionId, calleeNum: C, duration: 60 },
    });
    const outbound = await sim.simulateCall("k", { subscriptionId, from: "a" });
    expect(outbound).toMatchObject({ caller: A, called: C });
    expect(rx.pushes).toHaveLength(10);
  });

  it("refuses a call on a paused X after callin (8055)", async () => {
    const { rx, sim } = await setup();
    const { subscriptionId } = sim.bindBehindBack("k", { x: X, a: A, b: B });
    sim.setNumberStatus("k", X, "paused");
    await sim.pushesIdle();
    rx.pushes.length = 0;
    const call = await sim.simulateCall("k", { subscriptionId, from: "a" });
    expect(call.pushed).toEqual(["callin", "disconnect", "fee"]);
    expect(rx.pushes[1]?.body.statusInfo).toMatchObject({ stateCode: 8055 });
  });

  it("retries a push on the (scaled) schedule until the receiver answers 200", async () => {
    const { rx, sim } = await setup((attempt) => (attempt <= 2 ? 503 : 200));
    const started = Date.now();
    sim.setNumberStatus("k", X, "abnormal");
    await sim.pushesIdle();
    expect(rx.pushes).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual((60_000 + 240_000) * 0.001);
    expect(new Set(rx.pushes.map((p) => p.nonce)).size).toBe(3);
    expect(rx.pushes.every((p) => p.signed)).toBe(true);
    expect(sim.pushStats()).toEqual({ delivered: 1, failedAttempts: 2, pending: 0, gaveUp: 0 });
  });

  it("gives up after six retries", async () => {
    const { rx, sim } = await setup(() => 500, { retryScheduleMs: [1, 1, 1, 1, 1, 1] });
    sim.setNumberStatus("k", X, "abnormal");
    await sim.pushesIdle();
    expect(rx.pushes).toHaveLength(7);
    expect(sim.pushStats()).toEqual({ delivered: 0, failedAttempts: 7, pending: 0, gaveUp: 1 });
  });

  it("retries after a network error (nobody listening)", async () => {
    const rx = await receiver(app.appSecret);
    await rx.close();
    sim = await startSimulator({
      apps: [{ ...app, mode: "AXB", numbers: [{ x: X }] }],
      push: { url: rx.url, retryScheduleMs: [1, 1] },
    });
    sim.setNumberStatus("k", X, "abnormal");
    await sim.pushesIdle();
    expect(sim.pushStats()).toEqual({ delivered: 0, failedAttempts: 3, pending: 0, gaveUp: 1 });
  });

  it("cancels pending retries on close", async () => {
    const { sim } = await setup(() => 500, { retryScheduleMs: [60_000] });
    sim.setNumberStatus("k", X, "abnormal");
    // The first attempt's 500 has come back once it counts; then its retry waits a minute.
    for (let i = 0; i < 1_000 && sim.pushStats().failedAttempts === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(sim.pushStats()).toMatchObject({ failedAttempts: 1, pending: 1 });
    await sim.close();
    expect(sim.pushStats().pending).toBe(0);
    await sim.pushesIdle();
  });

  it("validates the push options and needs them for simulateCall", async () => {
    const apps = [{ ...app, mode: "AXB" as const, numbers: [{ x: X }] }];
    await expect(
      startSimulator({ apps, push: { url: "http://127.0.0.1:1", retryScheduleMs: [1, 1, 1, 1, 1, 1, 1] } }),
    ).rejects.toThrow(/at most 6/);
    await expect(startSimulator({ apps, push: { url: "not a url" } })).rejects.toThrow(/not a URL/);
    sim = await startSimulator({ apps });
    const { subscriptionId } = sim.bindBehindBack("k", { x: X, a: A, b: B });
    await expect(sim.simulateCall("k", { subscriptionId, from: "a" })).rejects.toThrow(/push option/);
    expect(sim.pushStats()).toEqual({ delivered: 0, failedAttempts: 0, pending: 0, gaveUp: 0 });
  });
});

function status(body: Record<string, unknown>): number {
  return ((body.numInfo as { status: number }[])[0]?.status ?? 0) as number;
}
