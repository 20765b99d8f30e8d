import { describe, expect, it } from "vitest";
import {
  Allocator,
  type AllocatorOptions,
  type BindpoolError,
  internalKey,
  MemoryStore,
  type OrderLock,
  type Outcome,
} from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const A = "+8613800000001";
const B = "+8613800000002";
const xs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ x: `+8619900000${String(i).padStart(3, "0")}` }));

function setup(over: Partial<AllocatorOptions> = {}, numbers = xs(3)) {
  const store = new MemoryStore();
  const platform = new ScriptedPlatform();
  const allocator = new Allocator({
    store,
    driver: platform,
    pools: [{ id: "rides", mode: "AXB", numbers }],
    backoffMs: 1,
    ...over,
  });
  return { store, platform, allocator };
}

const fail = (kind: string, code: string) => ({ kind, code, message: `scripted ${code}` }) as Outcome<never>;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as BindpoolError).code;
  }
  throw new Error("expected the call to throw");
}

describe("Allocator", () => {
  it("rejects bad input with a clear VALIDATION error before reserving anything", async () => {
    const { allocator, store, platform } = setup();
    const base = { pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 600 };
    const cases: [string, object][] = [
      ["malformed number", { ...base, a: "13800000001" }],
      ["A equal to B", { ...base, b: A }],
      ["negative TTL", { ...base, ttlSeconds: -5 }],
      ["missing orderKey", { ...base, orderKey: "" }],
      ["missing b in AXB", { ...base, b: undefined }],
      ["unknown field", { ...base, colour: "red" }],
    ];
    for (const [, request] of cases) {
      await expect(allocator.allocate(request as never)).rejects.toMatchObject({
        code: "BINDPOOL_VALIDATION",
      });
    }
    await expect(allocator.allocate({ ...base, a: "12345" })).rejects.toThrow(
      /a: must be a phone number.*got "12345"/,
    );
    expect(await codeOf(allocator.allocate({ ...base, pool: "nope" }))).toBe("BINDPOOL_UNKNOWN_POOL");
    expect(platform.calls).toEqual([]);
    expect(await store.entries("rides")).toEqual([]);
  });

  it("rejects bad options with the bad field named", () => {
    const store = new MemoryStore();
    const driver = new ScriptedPlatform();
    expect(() => new Allocator({ store, driver, pools: [], leaseMs: 10 })).toThrow(/leaseMs/);
    expect(() => new Allocator({ store, driver, pools: [{ id: "p", mode: "AXB", numbers: [] }] })).toThrow(
      /at least one X/,
    );
    expect(
      () =>
        new Allocator({
          store,
          driver,
          pools: [{ id: "p", mode: "AXB", numbers: [{ x: "+861", capacity: -1 }] }],
        }),
    ).toThrow(/numbers\.0/);
    const tooBig = [{ id: "p", mode: "AXB" as const, numbers: [{ x: "+8619900000001", capacity: 6000 }] }];
    expect(() => new Allocator({ store, driver, pools: tooBig })).toThrow(
      /numbers\.0\.capacity.*6000 is more than the 5000 pairs/,
    );
  });

  it("binds, confirms and releases an order", async () => {
    const { allocator, store, platform } = setup();
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 600 });
    expect(platform.bindings.get(binding.subscriptionId)).toMatchObject({
      x: binding.x,
      a: A,
      b: B,
      durationSeconds: 660,
    });
    expect(await store.get("rides", "o1")).toMatchObject({
      status: "bound",
      subscriptionId: binding.subscriptionId,
    });
    expect(await allocator.release("o1")).toEqual({ status: "released" });
    expect(platform.bindings.size).toBe(0);
    expect(await allocator.release("o1")).toEqual({ status: "unknown" });
  });

  it("with writePools: false serves the pools another instance wrote and never changes them", async () => {
    const { allocator, store, platform } = setup();
    await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 600 });
    const x = xs(3)[0]!.x;
    await allocator.setNumberState(x, "draining", { pool: "rides" });
    const before = await store.numbers("rides");
    // An operator tool with a stale copy of the config: another capacity and state for X.
    const tool = new Allocator({
      store,
      driver: platform,
      pools: [
        { id: "rides", mode: "AXB", numbers: [{ x, capacity: 7, state: "active" }, ...xs(3).slice(1)] },
      ],
      writePools: false,
    });
    expect(await tool.stats("rides")).toEqual(await store.stats("rides", Date.now()));
    expect(await store.numbers("rides")).toEqual(before);
    // The same config written by a default allocator does change the pool.
    await new Allocator({
      store,
      driver: platform,
      pools: [{ id: "rides", mode: "AXB", numbers: [{ x, capacity: 7, state: "active" }] }],
    }).init();
    expect((await store.numbers("rides")).find((n) => n.x === x)).toMatchObject({
      capacity: 7,
      state: "active",
    });
  });

  it("gives one binding to 50 concurrent calls with one orderKey", async () => {
    const { allocator, platform, store } = setup();
    const calls = Array.from({ length: 50 }, () =>
      allocator.allocate({ pool: "rides", orderKey: "same", a: A, b: B, ttlSeconds: 600 }),
    );
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => r.subscriptionId)).size).toBe(1);
    expect(platform.bindings.size).toBe(1);
    expect(await store.entries("rides")).toHaveLength(1);
  });

  it("gives a returning pair the X it used before (preferX), and another X when the platform refuses it", async () => {
    const { allocator, platform } = setup();
    const order = (orderKey: string, a: string, b: string, preferX?: string) =>
      allocator.allocate({ pool: "rides", orderKey, a, b, ttlSeconds: 60, preferX });
    const first = await order("o1", A, B);
    await allocator.release("o1");
    // Another pair sits on that X, so leastLoaded alone would now pick one of the idle X.
    await order("busy", "+8613800000003", "+8613800000004", first.x);
    expect((await order("o2", A, B, first.x)).x).toBe(first.x);
    await allocator.release("o2");
    platform.script.set(first.x, [fail("conflict", "1012010")]);
    const moved = await order("o3", A, B, first.x);
    expect(moved.x).not.toBe(first.x);
  });

  it("sends no further platform request for an order once its cross-process lock is lost", async () => {
    const controller = new AbortController();
    const lock: OrderLock = { using: (_key, _ttlMs, fn) => fn(controller.signal) };
    const { allocator, platform, store } = setup({ lock, transientRetries: 3 });
    // The bind fails transiently (the allocator would retry it), and meanwhile the lock's extension fails.
    platform.script.set("*", [fail("transient", "1010001")]);
    const bind = platform.bind.bind(platform);
    platform.bind = async (req) => {
      const answer = await bind(req);
      controller.abort();
      return answer;
    };
    expect(
      await codeOf(allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 })),
    ).toBe("BINDPOOL_ORDER_LOCK_LOST");
    expect(platform.calls.filter((c) => c.startsWith("bind"))).toHaveLength(1);
    // What it did stays fenced in the store: the reservation, for the sweeper or the next call.
    expect((await store.get("rides", "o1"))?.status).toBe("reserved");
  });

  it("refuses an orderKey reused for another pair", async () => {
    const { allocator } = setup();
    await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    const again = allocator.allocate({
      pool: "rides",
      orderKey: "o1",
      a: A,
      b: "+8613800000009",
      ttlSeconds: 60,
    });
    expect(await codeOf(again)).toBe("BINDPOOL_ORDER_CONFLICT");
  });

  it("moves to another X on exhaustion and conflict answers, cooling both X when the conflict's binding cannot be found", async () => {
    const { allocator, store, platform } = setup();
    const retried: string[] = [];
    allocator.on("retried", (e) => retried.push(e.reason));
    platform.script.set("*", [fail("exhausted", "1012009"), fail("conflict", "1012010")]);
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(retried).toEqual(["exhausted", "conflict"]);
    const tried = platform.calls.filter((c) => c.startsWith("bind")).map((c) => c.slice(5));
    expect(new Set(tried).size).toBe(3);
    expect(tried[2]).toBe(binding.x);
    const cooled = (await store.numbers("rides")).filter((n) => n.cooldownUntilMs > 0).map((n) => n.x);
    expect(cooled.sort()).toEqual([tried[0], tried[1]].sort());
  });

  it("stops with POOL_EXHAUSTED when no X is left, holding nothing", async () => {
    const { allocator, store, platform } = setup({}, xs(2));
    platform.script.set("*", [fail("exhausted", "1012008"), fail("exhausted", "1012008")]);
    const error = allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(await codeOf(error)).toBe("BINDPOOL_POOL_EXHAUSTED");
    expect(await store.entries("rides")).toEqual([]);
  });

  it("quarantines an X the platform calls abnormal and binds elsewhere", async () => {
    const { allocator, store, platform } = setup();
    const quarantined: string[] = [];
    allocator.on("quarantined", (e) => quarantined.push(e.x));
    platform.script.set("*", [fail("numberAbnormal", "1012102")]);
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(quarantined).toHaveLength(1);
    expect(binding.x).not.toBe(quarantined[0]);
    const state = (await store.numbers("rides")).find((n) => n.x === quarantined[0])?.state;
    expect(state).toBe("quarantined");
  });

  it("fails with PLATFORM_AUTH on an auth answer and keeps nothing reserved", async () => {
    const { allocator, store, platform } = setup();
    platform.script.set("*", [fail("auth", "1010003")]);
    const error = allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(await codeOf(error)).toBe("BINDPOOL_PLATFORM_AUTH");
    expect(await store.entries("rides")).toEqual([]);
  });

  it("retries the same X after transient errors, then gives up with PLATFORM_UNAVAILABLE", async () => {
    const { allocator, store, platform } = setup({ transientRetries: 2 });
    platform.script.set("*", [fail("transient", "1010001"), fail("rateLimited", "1010010")]);
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(new Set(platform.calls.filter((c) => c.startsWith("bind"))).size).toBe(1);
    expect(binding.subscriptionId).toBeDefined();
    platform.script.set(
      "*",
      Array.from({ length: 3 }, () => fail("transient", "1010001")),
    );
    const error = allocator.allocate({
      pool: "rides",
      orderKey: "o2",
      a: A,
      b: "+8613800000003",
      ttlSeconds: 60,
    });
    expect(await codeOf(error)).toBe("BINDPOOL_PLATFORM_UNAVAILABLE");
    expect(await store.get("rides", "o2")).toBeUndefined();
  });

  it("adopts a binding that went through when the bind timed out", async () => {
    const { allocator, platform } = setup();
    platform.timeoutAfterBind = 1;
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(platform.bindings.size).toBe(1);
    expect(platform.bindings.has(binding.subscriptionId)).toBe(true);
  });

  it("adopts its own binding when a retry after a dropped connection answers 'already bound'", async () => {
    const { allocator, platform } = setup();
    platform.resetAfterBind = 1;
    const retried: string[] = [];
    allocator.on("retried", (e) => retried.push(e.reason));
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(retried).toEqual(["transient"]);
    expect([...platform.bindings.keys()]).toEqual([binding.subscriptionId]);
  });

  it("keeps its binding when the lease ended before the answer but nobody took the reservation", async () => {
    let now = 1_000_000;
    const { allocator, platform, store } = setup({ clock: () => now, leaseMs: 1_000 });
    const slow = platform.bind.bind(platform);
    platform.bind = async (req) => {
      now += 5_000; // the bind outlives the lease
      return slow(req);
    };
    const binding = await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect([...platform.bindings.keys()]).toEqual([binding.subscriptionId]);
    expect(await store.get("rides", "o1")).toMatchObject({
      status: "bound",
      subscriptionId: binding.subscriptionId,
    });
  });

  it("keeps the unbind of a binding that landed after its reservation was taken over, until it succeeds", async () => {
    let now = 1_000_000;
    const { allocator, platform, store } = setup({ clock: () => now, leaseMs: 1_000, unbindRetryMs: 500 });
    const slow = platform.bind.bind(platform);
    platform.bind = async (req) => {
      now += 5_000; // the bind outlives the lease, and the sweeper frees the reservation meanwhile
      const entry = (await store.get("rides", "o1"))!;
      await store.release("rides", "o1", entry.token);
      platform.failUnbinds = 100; // and the platform cannot be reached for the undo
      return slow(req);
    };
    expect(
      await codeOf(allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 })),
    ).toBe("BINDPOOL_LEASE_LOST");
    const [sub] = [...platform.bindings.keys()];
    const queued = (await store.entries("rides"))[0];
    expect(queued).toMatchObject({
      orderKey: internalKey("unbind", sub!),
      status: "releasing",
      subscriptionId: sub,
      a: A,
      b: B,
    });
    // X stays held from a pair that shares a user with the live binding.
    expect(
      (
        await store.reserve({
          pool: "rides",
          orderKey: "o2",
          a: A,
          b: "+8613800000009",
          exclude: xs(3)
            .map((n) => n.x)
            .filter((x) => x !== queued?.x),
          strategy: { name: "leastLoaded" },
          leaseMs: 1_000,
          nowMs: now,
        })
      ).ok,
    ).toBe(false);
    platform.failUnbinds = 0;
    now += 500;
    expect(await allocator.sweep()).toMatchObject({ unbindsRetried: 1 });
    expect(platform.bindings.size).toBe(0);
    expect(await store.entries("rides")).toEqual([]);
  });

  it("keeps allocating when an event listener throws, and counts it", async () => {
    const { allocator } = setup();
    allocator.on("allocated", () => {
      throw new Error("listener bug");
    });
    await allocator.allocate({ pool: "rides", orderKey: "o1", a: A, b: B, ttlSeconds: 60 });
    expect(allocator.listenerErrors).toBe(1);
  });
});
