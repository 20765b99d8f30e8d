import { Allocator, MemoryStore } from "@bindpool/core";
import { describe, expect, it } from "vitest";
import { createXModeRouter, defaultXModeAnswer, XMODE_NO_RECORD, XModeDriver } from "../src/index.js";
import { pushHeaders, user } from "./harness.js";

const app = { appKey: "x-key", appSecret: "x-secret" };
const X = "+8617200000001";
const POOL = "x-pool";

function setup(nowMs = { value: 1_700_000_000_000 }) {
  const store = new MemoryStore();
  const allocator = new Allocator({
    store,
    driver: new XModeDriver(),
    pools: [{ id: POOL, mode: "AXB", numbers: [{ x: X }] }],
    clock: () => nowMs.value,
  });
  return { store, allocator, nowMs };
}

const callin = (caller: string, called = X) =>
  JSON.stringify({
    eventType: "callin",
    statusInfo: { timestamp: "2024-01-01 00:00:00", sessionId: "s1", caller, called, notifyMode: "Block" },
  });

describe("defaultXModeAnswer", () => {
  const connect = { operation: "connect", x: X, callee: user(2), pool: POOL, orderKey: "o" } as const;

  it("renders connect and close in the reference's object form, settings only when set", () => {
    expect(defaultXModeAnswer(connect, {})).toEqual({
      operation: "connect",
      connectInfo: { displayCalleeNum: X, calleeNum: user(2) },
    });
    expect(
      defaultXModeAnswer(connect, { maxDurationMinutes: 30, recordFlag: true, recordHintTone: "rec.wav" }),
    ).toEqual({
      operation: "connect",
      connectInfo: {
        displayCalleeNum: X,
        calleeNum: user(2),
        maxDuration: 30,
        recordFlag: "true",
        recordHintTone: "rec.wav",
      },
    });
    expect(defaultXModeAnswer({ operation: "close", x: X, reason: "unknownCaller" }, {})).toEqual({
      operation: "close",
      closeInfo: {},
    });
  });

  it("renders the demo code's one-element arrays on request", () => {
    const close = { operation: "close", x: X, reason: "unknownCaller" } as const;
    expect(defaultXModeAnswer(close, { closeTone: "bye.wav" }, { objectsAsArrays: true })).toEqual({
      operation: "close",
      closeInfo: [{ closeHintTone: "bye.wav" }],
    });
  });
});

describe("XModeDriver", () => {
  it("binds locally and reports no platform bindings, but never that a subscription is gone", async () => {
    const driver = new XModeDriver({ newSubscriptionId: () => "xm-1" });
    const bound = await driver.bind({ mode: "AXB", x: X, a: user(1), b: user(2), durationSeconds: 60 });
    expect(bound).toEqual({ kind: "ok", value: { subscriptionId: "xm-1", x: X } });
    expect(await driver.query({ mode: "AXB", x: X, a: user(1), b: user(2) })).toEqual({
      kind: "ok",
      value: { bindings: [], total: 0 },
    });
    expect(await driver.query({ mode: "AXB", subscriptionId: "xm-1" })).toMatchObject({
      kind: "unknown",
      code: XMODE_NO_RECORD,
    });
    expect((await driver.bind({ mode: "AX", x: X, a: user(1), durationSeconds: 60 })).kind).toBe(
      "modeMismatch",
    );
  });

  it("keeps X-mode orders through a reconcile, and the sweeper ends them at their time", async () => {
    const { allocator, nowMs } = setup();
    await allocator.allocate({ pool: POOL, orderKey: "o1", a: user(1), b: user(2), ttlSeconds: 60 });
    const report = await allocator.reconcile();
    expect(report).toMatchObject({ droppedMissing: 0, unboundOrphans: 0, adopted: 0 });
    expect((await allocator.get("o1"))?.status).toBe("bound");

    nowMs.value += 3_600_000;
    expect(await allocator.sweep()).toMatchObject({ expiredUnbound: 1 });
    expect(await allocator.get("o1")).toBeUndefined();
  });
});

describe("createXModeRouter", () => {
  it("answers a signed callin with a JSON decision and rejects an unsigned one", async () => {
    const { store, allocator } = setup({ value: Date.now() });
    const router = createXModeRouter({ ...app, allocator, store });
    await allocator.allocate({ pool: POOL, orderKey: "o1", a: user(1), b: user(2), ttlSeconds: 600 });
    const answered = await router.handle({
      headers: pushHeaders(app.appKey, app.appSecret),
      body: callin(user(2)),
    });
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({
      operation: "connect",
      connectInfo: { displayCalleeNum: X, calleeNum: user(1) },
    });
    const forged = await router.handle({ headers: pushHeaders(app.appKey, "wrong"), body: callin(user(2)) });
    expect(forged.status).toBe(401);
    router.close();
  });

  it("closes calls to an X of no pool, to an order past its time, and while the order is reserved", async () => {
    const { store, allocator, nowMs } = setup();
    const router = createXModeRouter({ ...app, allocator, store, clock: () => nowMs.value });
    expect(await router.decide("+8617299999999", user(1))).toMatchObject({ reason: "unknownX" });
    await allocator.allocate({ pool: POOL, orderKey: "o1", a: user(1), b: user(2), ttlSeconds: 60 });
    nowMs.value += 3_600_000;
    expect(await router.decide(X, user(1))).toMatchObject({ operation: "close", reason: "expired" });
    nowMs.value -= 3_600_000;
    await store.reserve({
      pool: POOL,
      orderKey: "o2",
      a: user(3),
      b: user(4),
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 30_000,
      nowMs: nowMs.value,
    });
    expect(await router.decide(X, user(3))).toMatchObject({ operation: "close", reason: "notBound" });
    expect(router.stats().closed).toEqual({ unknownX: 1, expired: 1, notBound: 1 });
    router.close();
  });

  it("shares one store read among the misses that arrive together", async () => {
    const { store, allocator } = setup();
    const router = createXModeRouter({ ...app, allocator, store });
    await allocator.allocate({ pool: POOL, orderKey: "o1", a: user(1), b: user(2), ttlSeconds: 600 });
    await router.decide(X, user(1)); // first use: the index is filled
    const before = router.stats().refreshes;
    const strangers = await Promise.all([5, 6, 7, 8, 9].map((n) => router.decide(X, user(n))));
    expect(strangers.every((d) => d.operation === "close")).toBe(true);
    // The first miss starts a read; the others arrived during it and share the one queued after it.
    expect(router.stats().refreshes - before).toBeLessThanOrEqual(2);
    router.close();
  });

  it("closes the call, counts it and tells onRouteError when the store cannot be read", async () => {
    const { store, allocator } = setup();
    const errors: unknown[] = [];
    const failing = Object.assign(Object.create(store) as MemoryStore, {
      entries: () => Promise.reject(new Error("store down")),
    });
    const router = createXModeRouter({
      ...app,
      allocator,
      store: failing,
      onRouteError: (e) => errors.push(e),
    });
    expect(await router.decide(X, user(1))).toMatchObject({ operation: "close", reason: "error" });
    expect(router.stats()).toMatchObject({ routeErrors: 1, closed: { error: 1 } });
    expect(errors).toHaveLength(1);
    router.close();
  });

  it("refuses settings the platform would refuse", () => {
    const { store, allocator } = setup();
    expect(() => createXModeRouter({ ...app, allocator, store, maxDurationMinutes: 1441 })).toThrow(/1440/);
    expect(() => createXModeRouter({ ...app, allocator, store, closeTone: "a b.wav" })).toThrow(/tone/);
    expect(() => createXModeRouter({ ...app, allocator, store, pools: ["nope"] })).toThrow(/nope/);
  });
});
