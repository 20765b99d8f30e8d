import { describe, expect, it } from "vitest";
import { Allocator, type AllocatorOptions, MemoryStore } from "../src/index.js";
import { scriptedAllocator } from "./scripted-platform.js";

const A = "+8613800000001";
const B = "+8613800000002";
const C = "+8613800000003";
const xs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ x: `+8619900000${String(i).padStart(3, "0")}` }));

/** An allocator whose pool is written (and rebuilt from the empty platform) before the test scripts it. */
async function setup(over: Partial<AllocatorOptions> = {}, numbers = xs(3)) {
  const made = scriptedAllocator(over, numbers);
  await made.allocator.init();
  return made;
}

const order = (orderKey: string, a = A, b = B) => ({ pool: "rides", orderKey, a, b, ttlSeconds: 600 });

describe("order lifecycle", () => {
  it("completes idempotently and answers unknown orders without throwing", async () => {
    const { allocator, platform } = await setup();
    await allocator.allocate(order("o1"));
    expect(await allocator.complete("o1")).toEqual({ status: "released" });
    expect(await allocator.complete("o1")).toEqual({ status: "unknown" });
    expect(await allocator.cancel("never-seen")).toEqual({ status: "unknown" });
    expect(platform.bindings.size).toBe(0);
  });

  it("queues an unbind the platform refuses, keeps X from conflicting pairs, and the sweeper finishes it", async () => {
    const { allocator, platform, store, clock } = await setup(
      { transientRetries: 1, unbindRetryMs: 1_000 },
      xs(1),
    );
    const queued: string[] = [];
    allocator.on("unbindQueued", (e) => queued.push(e.orderKey));
    await allocator.allocate(order("o1"));
    platform.failUnbinds = 2;
    expect(await allocator.complete("o1")).toEqual({ status: "pending" });
    expect(queued).toEqual(["o1"]);
    expect((await store.get("rides", "o1"))?.status).toBe("releasing");
    // A pair sharing A cannot have the X while the old binding may still be live.
    await expect(allocator.allocate(order("o2", A, C))).rejects.toMatchObject({
      code: "BINDPOOL_POOL_EXHAUSTED",
    });
    expect(await allocator.sweep()).toMatchObject({ unbindsRetried: 0, pending: 0 }); // not due yet
    clock.advance(1_000);
    expect(await allocator.sweep()).toMatchObject({ unbindsRetried: 1 });
    expect(platform.bindings.size).toBe(0);
    expect(await store.get("rides", "o1")).toBeUndefined();
    expect((await allocator.allocate(order("o2", A, C))).x).toBe(xs(1)[0]!.x);
  });

  it("reassigns B on the same X with the platform's modify", async () => {
    const { allocator, platform } = await setup();
    const before = await allocator.allocate(order("o1"));
    const after = await allocator.reassign("o1", { b: C });
    expect(after).toMatchObject({ x: before.x, subscriptionId: before.subscriptionId, b: C });
    expect(platform.bindings.get(before.subscriptionId)?.b).toBe(C);
  });

  it("reassigns to a new X when the new B is already on the old one, binding before unbinding", async () => {
    const { allocator, platform, store } = await setup({}, xs(2));
    const first = await allocator.allocate(order("o1", A, B));
    await allocator.allocate(order("o2", "+8613800000009", C)); // C sits on some X
    const onSameX = (await store.get("rides", "o2"))!.x === first.x;
    const sequence: string[] = [];
    allocator.on("allocated", () => sequence.push("bound new"));
    allocator.on("released", (e) => sequence.push(`released ${e.reason}`));
    const after = await allocator.reassign("o1", { b: C });
    expect(after.b).toBe(C);
    expect(platform.bindings.has(after.subscriptionId)).toBe(true);
    if (onSameX) {
      expect(after.x).not.toBe(first.x);
      expect(sequence).toEqual(["bound new", "released reassigned"]);
      expect(platform.bindings.has(first.subscriptionId)).toBe(false);
    }
    expect((await store.get("rides", "o1"))?.subscriptionId).toBe(after.subscriptionId);
    expect(await store.entries("rides")).toHaveLength(2);
  });

  it("extends an order at the platform and in the store", async () => {
    const { allocator, platform, store } = await setup({ graceSeconds: 60 });
    const b = await allocator.allocate(order("o1"));
    const extended = await allocator.extend("o1", 7_200);
    expect(platform.bindings.get(b.subscriptionId)?.durationSeconds).toBe(7_260);
    expect((await store.get("rides", "o1"))?.untilMs).toBe(extended.expiresAtMs);
    await expect(allocator.extend("nope", 60)).rejects.toMatchObject({ code: "BINDPOOL_UNKNOWN_ORDER" });
    await expect(allocator.extend("o1", -1)).rejects.toMatchObject({ code: "BINDPOOL_VALIDATION" });
  });

  it("stops the sweeper and the reconciler once their election is lost", async () => {
    const { allocator, store, clock } = await setup();
    await allocator.allocate(order("o1"));
    clock.advance(3_600_000); // the order ended: a sweep would unbind it
    const lost = AbortSignal.abort();
    expect(await allocator.sweep({ signal: lost })).toMatchObject({ expiredUnbound: 0 });
    expect(await allocator.reconcile({ signal: lost })).toMatchObject({ numbers: 0 });
    expect((await store.get("rides", "o1"))?.status).toBe("bound");
    expect(await allocator.sweep()).toMatchObject({ expiredUnbound: 1 });
  });

  it("sweeps ended leases (adopting binds that went through) and ended orders", async () => {
    const { allocator, platform, store, clock } = await setup({ leaseMs: 1_000, transientRetries: 0 });
    // A bind that went through but whose answer never came, and a lookup that failed: outcome unknown.
    platform.timeoutAfterBind = 1;
    platform.script.set("*", []);
    const query = platform.query.bind(platform);
    let queries = 0;
    platform.query = async (req) =>
      queries++ < 1 ? { kind: "timeout", code: "T", message: "slow" } : query(req);
    await expect(allocator.allocate(order("o1"))).rejects.toMatchObject({
      code: "BINDPOOL_PLATFORM_UNAVAILABLE",
    });
    expect((await store.get("rides", "o1"))?.status).toBe("reserved");
    await allocator.allocate(order("o2", C, "+8613800000004"));
    clock.advance(1_001);
    const first = await allocator.sweep();
    expect(first).toMatchObject({ adopted: 1, leasesFreed: 0 });
    expect((await store.get("rides", "o1"))?.status).toBe("bound");
    clock.advance(61_000); // past the grace: an adopted order keeps the lifetime its platform binding has
    expect((await allocator.sweep()).expiredUnbound).toBe(0);
    clock.advance(3_600_000);
    const second = await allocator.sweep();
    expect(second.expiredUnbound).toBe(2);
    expect(platform.bindings.size).toBe(0);
    expect(await store.entries("rides")).toEqual([]);
  });

  it("reconciles: unbinds orphans, drops entries the platform lost, and a lost store rebuilds itself", async () => {
    const { allocator, platform, clock } = await setup();
    const kept = await allocator.allocate(order("o1"));
    const dropped = await allocator.allocate(order("o2", C, "+8613800000004"));
    platform.bindings.delete(dropped.subscriptionId); // the platform dropped it
    await platform.bind({
      mode: "AXB",
      x: xs(3)[2]!.x,
      a: "+8613700000001",
      b: "+8613700000002",
      durationSeconds: 0,
    });
    const report = await allocator.reconcile();
    expect(report).toMatchObject({ unboundOrphans: 1, droppedMissing: 1, adopted: 0, failedQueries: 0 });
    expect([...platform.bindings.keys()]).toEqual([kept.subscriptionId]);

    // Data loss: a fresh store learns the live binding back, under its orderKey (carried in userData),
    // ending when the platform's binding does (bound 100 s ago for 600 s + 60 s grace), not later.
    clock.advance(100_000);
    const fresh = new MemoryStore();
    const rebuilt = new Allocator({
      store: fresh,
      driver: platform,
      pools: [{ id: "rides", mode: "AXB", numbers: xs(3) }],
      clock: clock.now,
    });
    // The store has no such pool: the allocator rebuilds it from the platform before anything else.
    const rebuilds: number[] = [];
    rebuilt.on("rebuilt", (e) => rebuilds.push(e.adopted));
    await rebuilt.init();
    expect(rebuilds).toEqual([1]);
    expect(await rebuilt.reconcile()).toMatchObject({ adopted: 0, unboundOrphans: 0 });
    expect(await fresh.get("rides", "o1")).toMatchObject({
      status: "bound",
      subscriptionId: kept.subscriptionId,
      x: kept.x,
      untilMs: kept.expiresAtMs,
    });
  });

  it("never unbinds a binding made while it reconciles, with or without bindpool's userData", async () => {
    const { allocator, platform, store } = await setup({}, xs(2));
    // Orders placed after the reconciler read the store, whose bindings its platform query then sees.
    const placed: { orderKey: string; userData?: string }[] = [
      { orderKey: "during1" },
      { orderKey: "during2", userData: "customer-data" },
    ];
    const query = platform.query.bind(platform);
    platform.query = async (req) => {
      const next = placed.shift();
      if (next !== undefined) {
        const n = 2 - placed.length;
        // on the X being queried (sticky), so the query's answer holds the new binding
        await allocator.allocate({
          ...order(next.orderKey, `+861370000000${n}`, `+861370000010${n}`),
          userData: next.userData,
          preferX: "x" in req ? req.x : undefined,
        });
      }
      return query(req);
    };
    await allocator.allocate(order("before"));
    const report = await allocator.reconcile();
    expect(report).toMatchObject({ unboundOrphans: 0, droppedMissing: 0, failedQueries: 0 });
    const live = await store.entries("rides");
    expect(live.map((e) => e.orderKey).sort()).toEqual(["before", "during1", "during2"]);
    expect(new Set([...platform.bindings.keys()])).toEqual(new Set(live.map((e) => e.subscriptionId)));
  });

  it("makes the store follow the platform's B when a reassign's modify was never confirmed", async () => {
    const { allocator, platform, store } = await setup();
    const b = await allocator.allocate(order("o1"));
    platform.bindings.set(b.subscriptionId, { ...platform.bindings.get(b.subscriptionId)!, b: C });
    expect(await allocator.reconcile()).toMatchObject({
      pairsRepaired: 1,
      unboundOrphans: 0,
      droppedMissing: 0,
    });
    expect((await store.get("rides", "o1"))?.b).toBe(C);
    // and reassigning to the B the platform already has only checks it
    expect(await allocator.reassign("o1", { b: C })).toMatchObject({
      b: C,
      subscriptionId: b.subscriptionId,
    });
  });

  it("finishes a reassign whose process died between the store and the platform", async () => {
    const { allocator, platform, store } = await setup();
    const b = await allocator.allocate(order("o1"));
    const entry = (await store.get("rides", "o1"))!;
    await store.changeB("rides", "o1", entry.token, C); // the store moved, then the process died
    expect(platform.bindings.get(b.subscriptionId)?.b).toBe(B);
    await allocator.reassign("o1", { b: C }); // the caller retries
    expect(platform.bindings.get(b.subscriptionId)?.b).toBe(C);
  });

  it("lets operators drain, quarantine and reactivate a number", async () => {
    const { allocator, store } = await setup({}, xs(1));
    const x = xs(1)[0]!.x;
    await allocator.setNumberState(x, "draining");
    await expect(allocator.allocate(order("o1"))).rejects.toMatchObject({ code: "BINDPOOL_POOL_EXHAUSTED" });
    await allocator.setNumberState(x, "active");
    await allocator.allocate(order("o1"));
    expect((await store.numbers("rides"))[0]?.load).toBe(1);
    await expect(allocator.setNumberState("+8612345678901", "retired")).rejects.toMatchObject({
      code: "BINDPOOL_VALIDATION",
    });
  });
});
