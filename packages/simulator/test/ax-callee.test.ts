import { afterEach, describe, expect, it } from "vitest";
import { NO_TEMP_CALLEE_STATE_CODE, type Simulator, startSimulator } from "../src/index.js";
import { AX_CALLEE_PATH, AX_PATH, client, numbers, type ReceivedPush, receiver } from "./harness.js";

// Set temporary callee (§5.3) over real HTTP, with an injected clock for its lifetime.

const A = "+8613900000001";
const A2 = "+8613900000002";
const C = "+8613700000001";
const C2 = "+8613700000002";
const PEER = "+8613600000001";
const xs = numbers("+8617000000001", 3);
const T0 = Date.UTC(2024, 0, 1);

/** The one CDR among the pushes of one call. */
function feeOf(pushes: ReceivedPush[]): unknown {
  const fee = pushes.find((p) => p.body.eventType === "fee");
  return (fee?.body.feeLst as unknown[] | undefined)?.[0];
}

let sim: Simulator | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeReceiver?.();
  sim = undefined;
  closeReceiver = undefined;
});

async function start(push?: { url: string }) {
  const clock = { ms: T0 };
  sim = await startSimulator({
    apps: [
      { appKey: "ax", appSecret: "s", mode: "AX", numbers: xs.map((x) => ({ x })) },
      { appKey: "axb", appSecret: "s2", mode: "AXB", numbers: [{ x: "+8613800000001" }] },
    ],
    now: () => clock.ms,
    ...(push === undefined ? {} : { push }),
  });
  const call = client(sim, "ax", "s");
  const bound = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
  const subscriptionId = String(bound.body.subscriptionId);
  const callee = () => {
    const b = sim?.bindings("ax").find((x) => x.subscriptionId === subscriptionId);
    return { callee: b?.callee, calleeExpiresAtMs: b?.calleeExpiresAtMs };
  };
  return { sim, call, clock, subscriptionId, callee };
}

describe("AX set temporary callee", () => {
  it("sets the callee by subscriptionId for 60 s by default, shown by bindings()", async () => {
    const { call, subscriptionId, callee } = await start();
    expect(callee()).toEqual({ callee: undefined, calleeExpiresAtMs: undefined });
    const res = await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId, calleeNum: C, origNum: "not parsed", userData: "order-1" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resultcode: "0" });
    expect(callee()).toEqual({ callee: C, calleeExpiresAtMs: T0 + 60_000 });
  });

  it("overwrites the callee with the next set", async () => {
    const { call, clock, subscriptionId, callee } = await start();
    await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, duration: 600 } });
    clock.ms += 10_000;
    const res = await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId, calleeNum: C2, duration: "30" },
    });
    expect(res.body.resultcode).toBe("0");
    expect(callee()).toEqual({ callee: C2, calleeExpiresAtMs: T0 + 40_000 });
  });

  it("expires after its duration by the injected clock", async () => {
    const { call, clock, subscriptionId, callee } = await start();
    await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, duration: 5 } });
    clock.ms += 4_999;
    expect(callee().callee).toBe(C);
    clock.ms += 1;
    expect(callee()).toEqual({ callee: undefined, calleeExpiresAtMs: undefined });
    expect(sim?.bindings("ax")).toHaveLength(1);
  });

  it("finds the binding by privateNum; subscriptionId wins over privateNum", async () => {
    const { call, subscriptionId, callee } = await start();
    expect(
      (await call("PUT", AX_CALLEE_PATH, { body: { privateNum: xs[0], calleeNum: C } })).body.resultcode,
    ).toBe("0");
    expect(callee().callee).toBe(C);
    // xs[1] is a number of the app but unbound: the subscriptionId decides.
    const both = await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId, privateNum: xs[1], calleeNum: C2 },
    });
    expect(both.body.resultcode).toBe("0");
    expect(callee().callee).toBe(C2);
  });

  it("rejects a calleeNum equal to A, missing or malformed, and a missing binding key, with 1010002", async () => {
    const { call, subscriptionId, callee } = await start();
    for (const body of [
      { subscriptionId, calleeNum: A },
      { subscriptionId },
      { subscriptionId, calleeNum: "abc" },
      { calleeNum: C },
    ]) {
      const res = await call("PUT", AX_CALLEE_PATH, { body });
      expect(res.status).toBe(400);
      expect(res.body.resultcode).toBe("1010002");
    }
    expect(callee().callee).toBeUndefined();
  });

  it("accepts a duration of 1..259200 s and rejects one outside it with 1010002", async () => {
    const { call, subscriptionId, callee } = await start();
    for (const duration of [0, 259_201, -1, 1.5, "x"]) {
      const res = await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, duration } });
      expect(res.body.resultcode).toBe("1010002");
    }
    expect(callee().callee).toBeUndefined();
    await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, duration: 259_200 } });
    expect(callee()).toEqual({ callee: C, calleeExpiresAtMs: T0 + 259_200_000 });
  });

  it("rejects a userData with { or } or over 256 characters with 1010002", async () => {
    const { call, subscriptionId } = await start();
    for (const userData of ["{x}", "a}", "u".repeat(257), { order: 1 }]) {
      const res = await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, userData } });
      expect(res.body.resultcode).toBe("1010002");
    }
    const ok = await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId, calleeNum: C, userData: "u".repeat(256) },
    });
    expect(ok.body.resultcode).toBe("0");
  });

  it("answers 1016001 for an unknown subscriptionId or an unbound X, 1011004 for an X not of the app", async () => {
    const { call } = await start();
    const unknown = await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId: "nope", calleeNum: C } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.resultcode).toBe("1016001");
    const unbound = await call("PUT", AX_CALLEE_PATH, { body: { privateNum: xs[1], calleeNum: C } });
    expect(unbound.body.resultcode).toBe("1016001");
    const foreign = await call("PUT", AX_CALLEE_PATH, {
      body: { privateNum: "+8618000000000", calleeNum: C },
    });
    expect(foreign.body.resultcode).toBe("1011004");
  });

  it("refuses an AXB app with 1010040", async () => {
    const { sim } = await start();
    const axb = client(sim, "axb", "s2");
    const res = await axb("PUT", AX_CALLEE_PATH, { body: { privateNum: "+8613800000001", calleeNum: C } });
    expect(res.status).toBe(403);
    expect(res.body.resultcode).toBe("1010040");
  });

  it("injects faults into this route as into the others; an injected error sets nothing", async () => {
    const { sim, call, subscriptionId, callee } = await start();
    sim.faults.set({ serverErrorRate: 1 });
    const res = await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C } });
    expect(res.status).toBe(500);
    expect(res.body.resultcode).toBe("1010001");
    expect(callee().callee).toBeUndefined();
    expect(sim.stats().faults.serverError).toBe(1);
  });

  it("forgets the callee when the binding is unbound or its A changes", async () => {
    const { call, subscriptionId } = await start();
    await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C, duration: 600 } });
    expect((await call("DELETE", AX_PATH, { query: { subscriptionId } })).body.resultcode).toBe("0");
    const again = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
    const second = String(again.body.subscriptionId);
    expect(sim?.bindings("ax")).toEqual([expect.not.objectContaining({ callee: expect.anything() })]);
    const stale = await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId, calleeNum: C } });
    expect(stale.body.resultcode).toBe("1016001");

    await call("PUT", AX_CALLEE_PATH, { body: { subscriptionId: second, calleeNum: A2, duration: 600 } });
    expect(sim?.bindings("ax")[0]?.callee).toBe(A2);
    await call("PUT", AX_PATH, { body: { subscriptionId: second, origNum: A2 } });
    expect(sim?.bindings("ax")[0]).toMatchObject({ a: A2 });
    expect(sim?.bindings("ax")[0]?.callee).toBeUndefined();
  });

  it("routes A's call through X to the live callee, refuses it with none set, and others still reach A", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const { sim, call, clock, subscriptionId } = await start({ url: rx.url });

    const none = await sim.simulateCall("ax", { subscriptionId, from: "a", peer: PEER });
    expect(none).toMatchObject({ caller: A, called: xs[0], pushed: ["callin", "disconnect", "fee"] });
    await sim.pushesIdle();
    const noneEnd = rx.pushes.find((p) => p.body.eventType === "disconnect")?.body.statusInfo;
    expect(noneEnd).toMatchObject({ caller: A, stateCode: NO_TEMP_CALLEE_STATE_CODE });
    const noneFee = feeOf(rx.pushes);
    expect(noneFee).toMatchObject({ direction: 2, callerNum: A, ulFailReason: NO_TEMP_CALLEE_STATE_CODE });
    expect(noneFee).not.toHaveProperty("fwdAnswerTime");
    rx.pushes.length = 0;

    await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId, calleeNum: C, duration: 60, userData: "ride-9" },
    });
    const out = await sim.simulateCall("ax", { subscriptionId, from: "a", peer: PEER });
    expect(out).toMatchObject({
      caller: A,
      called: C,
      pushed: ["callin", "alerting", "answer", "disconnect", "fee"],
    });
    await sim.pushesIdle();
    const answer = rx.pushes.find((p) => p.body.eventType === "answer")?.body.statusInfo;
    expect(answer).toMatchObject({ caller: A, called: C });
    const fee = feeOf(rx.pushes);
    expect(fee).toMatchObject({ direction: 0, callerNum: A, calleeNum: C, fwdDstNum: C, userData: "ride-9" });
    rx.pushes.length = 0;

    const inbound = await sim.simulateCall("ax", { subscriptionId, from: "b", peer: PEER });
    expect(inbound).toMatchObject({ caller: PEER, called: A });

    clock.ms += 60_000;
    const expired = await sim.simulateCall("ax", { subscriptionId, from: "a", peer: PEER });
    expect(expired).toMatchObject({ called: xs[0], pushed: ["callin", "disconnect", "fee"] });
    await sim.pushesIdle();
  });
});
