/**
 * The repair machinery (reconciler, adoption) must never take a live order's number. Each test replays
 * one race a review found (issue 7) with the scripted platform's hooks, step by step.
 */
import { describe, expect, it } from "vitest";
import {
  Allocator,
  type AllocatorOptions,
  MemoryStore,
  type OrderLock,
  type QueryRequest,
} from "../src/index.js";
import { ScriptedPlatform, scriptedAllocator } from "./scripted-platform.js";

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;
const xs = (n: number) => Array.from({ length: n }, (_, i) => ({ x: phone("199", i) }));

function setup(over: Partial<AllocatorOptions> = {}, numbers = xs(1)) {
  return scriptedAllocator(over, numbers);
}

const order = (orderKey: string, a: string, b: string) => ({
  pool: "rides",
  orderKey,
  a,
  b,
  ttlSeconds: 600,
});
const isPage = (req: QueryRequest, page: number) => "page" in req && req.page === page;

/**
 * A reconcile run beside another call: `start` begins it and resolves once it has read a page of the
 * platform (its listing is taken, what it does next happens after); `done` waits for the whole pass.
 */
function reconcileBeside(allocator: Allocator, platform: ScriptedPlatform) {
  let pass: Promise<unknown> | undefined;
  return {
    start: () =>
      new Promise<void>((listed) => {
        platform.onQuery = async (req, phase) => {
          if (phase === "after" && "page" in req) listed();
        };
        pass = allocator.reconcile();
      }),
    done: () => pass,
  };
}

describe("repairs keep live orders", () => {
  it("keeps a live order whose binding a completion moved off the page the reconciler read", async () => {
    const { allocator, platform, store } = setup();
    for (let i = 0; i < 250; i++) await allocator.allocate(order(`o${i}`, phone("138", i), phone("139", i)));
    let completed = false;
    platform.onQuery = async (req, phase) => {
      // Between page 1 and page 2 another instance completes an order of page 1: every later binding
      // moves down one place, so the first binding of page 2 was on page 1's range and is on neither.
      if (phase === "before" && isPage(req, 2) && !completed) {
        completed = true;
        await allocator.complete("o0");
      }
    };
    const first = await allocator.reconcile();
    platform.onQuery = undefined;
    const second = await allocator.reconcile();
    expect(completed).toBe(true);
    expect(first.droppedMissing + second.droppedMissing).toBe(0);
    expect(second.unboundOrphans).toBe(0);
    for (let i = 1; i < 250; i++) {
      const e = await store.get("rides", `o${i}`);
      expect(e?.status, `o${i}`).toBe("bound");
      expect(platform.bindings.has(e!.subscriptionId!), `o${i}`).toBe(true);
    }
  });

  it("does not adopt a binding its allocation undid after losing the lease", async () => {
    const { allocator, platform, store, clock } = setup({ leaseMs: 1_000 });
    const reconciler = reconcileBeside(allocator, platform);
    platform.onBind = async () => {
      platform.onBind = undefined;
      // The bind is slow: a reconcile reads the platform (seeing the new binding) while it is in flight,
      // the lease ends and the reservation is taken over (freed, as a sweeper finding no binding yet
      // would), so the allocation undoes its binding.
      await reconciler.start();
      clock.advance(2_000);
      const reserved = await store.get("rides", "o1");
      await store.release("rides", "o1", reserved!.token);
    };
    await expect(allocator.allocate(order("o1", phone("138", 1), phone("139", 1)))).rejects.toMatchObject({
      code: "BINDPOOL_LEASE_LOST",
    });
    await reconciler.done();
    const binding = await allocator.allocate(order("o1", phone("138", 1), phone("139", 1)));
    expect(platform.bindings.has(binding.subscriptionId)).toBe(true);
    expect(platform.bindings.size).toBe(1);
  });

  it("does not apply a platform read from before a reassign after the reassign finished", async () => {
    const { allocator, platform, store } = setup();
    const bound = await allocator.allocate(order("o1", phone("138", 1), phone("139", 1)));
    const newB = phone("137", 1);
    const reconciler = reconcileBeside(allocator, platform);
    platform.onModify = async () => {
      platform.onModify = undefined;
      // The modify is on its way: a reconcile reads the store (new B) and the platform (old B still).
      await reconciler.start();
    };
    await allocator.reassign("o1", { b: newB });
    await reconciler.done();
    expect(platform.bindings.get(bound.subscriptionId)?.b).toBe(newB);
    expect((await store.get("rides", "o1"))?.b).toBe(newB);
  });

  it("never takes a caller's order for an internal entry, whatever its orderKey", async () => {
    const { allocator, platform, store } = setup({}, xs(2));
    const keys = ["foreign:order-7", "unbind:sub-1", "adopted:sub-2", "o1~to~+8613900000001"];
    for (const [i, orderKey] of keys.entries())
      await allocator.allocate(order(orderKey, phone("138", i), phone("139", i)));
    const report = await allocator.reconcile();
    expect(report.unboundOrphans).toBe(0);
    for (const orderKey of keys) {
      const e = await store.get("rides", orderKey);
      expect(e?.status, orderKey).toBe("bound");
      expect(platform.bindings.has(e!.subscriptionId!), orderKey).toBe(true);
    }
  });

  it("refuses orderKeys with control characters, the space of internal entries", async () => {
    const { allocator } = setup();
    await expect(
      allocator.allocate(order("\u0000foreign:1", phone("138", 1), phone("139", 1))),
    ).rejects.toMatchObject({ code: "BINDPOOL_VALIDATION" });
  });

  it("refuses the same X in two pools when the allocator is built", () => {
    const shared = phone("199", 1);
    expect(
      () =>
        new Allocator({
          store: new MemoryStore(),
          driver: new ScriptedPlatform(),
          pools: [
            { id: "rides", mode: "AXB", numbers: [{ x: phone("199", 0) }, { x: shared }] },
            { id: "food", mode: "AXB", numbers: [{ x: shared }] },
          ],
        }),
    ).toThrow(
      expect.objectContaining({ code: "BINDPOOL_VALIDATION", message: expect.stringContaining("food") }),
    );
  });
});

describe("a dead instance's orders", () => {
  /** A lock shared by the allocators of one test, held until released or `ttlMs` after it was taken. */
  class ExpiringLock implements OrderLock {
    private readonly holders = new Map<string, number>();
    constructor(private readonly now: () => number) {}
    async using<T>(key: string, ttlMs: number, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> {
      if ((this.holders.get(key) ?? 0) > this.now()) throw new Error(`lock ${key} is busy`);
      const until = this.now() + ttlMs;
      this.holders.set(key, until);
      try {
        return await fn(new AbortController().signal);
      } finally {
        if (this.holders.get(key) === until) this.holders.delete(key);
      }
    }
  }

  it("are served by another instance once the dead one's lock runs out, long before its lease", async () => {
    const { platform, store, clock } = setup();
    const lock = new ExpiringLock(clock.now);
    const options = {
      store,
      pools: [{ id: "rides", mode: "AXB" as const, numbers: xs(1) }],
      clock: clock.now,
    };
    const tuning = { leaseMs: 120_000, lockTtlMs: 5_000, pendingWaitMs: 0, backoffMs: 1, lock };
    // The dead instance reserved X and sent its bind, which never arrives: it hangs with the lock held.
    let sent: () => void = () => {};
    const bindSent = new Promise<void>((r) => {
      sent = r;
    });
    const hanging: ScriptedPlatform = Object.assign(new ScriptedPlatform(clock.now), {
      bind: () => {
        sent();
        return new Promise<never>(() => {});
      },
    });
    const dead = new Allocator({ ...options, ...tuning, driver: hanging });
    const alive = new Allocator({ ...options, ...tuning, driver: platform });
    void dead.allocate(order("o1", phone("138", 1), phone("139", 1)));
    await bindSent;
    await expect(alive.allocate(order("o1", phone("138", 1), phone("139", 1)))).rejects.toThrow(/busy/);
    clock.advance(5_000);
    const binding = await alive.allocate(order("o1", phone("138", 1), phone("139", 1)));
    expect(platform.bindings.has(binding.subscriptionId)).toBe(true);
  });
});

describe("errors that leave the allocator", () => {
  it("answers the binding when the order lock fails to release after the bind, and types a lock failure", async () => {
    const { platform, store } = setup();
    let failing: "release" | "acquire" = "release";
    const lock: OrderLock = {
      async using(_key, _ttlMs, fn) {
        if (failing === "acquire") throw new Error("unable to achieve a quorum");
        await fn(new AbortController().signal);
        throw new Error("unable to achieve a quorum"); // the release failed (Redis paused)
      },
    };
    const allocator = new Allocator({
      store,
      driver: platform,
      pools: [{ id: "rides", mode: "AXB", numbers: xs(1) }],
      lock,
    });
    const binding = await allocator.allocate(order("o1", phone("138", 1), phone("139", 1)));
    expect(platform.bindings.has(binding.subscriptionId)).toBe(true);
    failing = "acquire";
    await expect(allocator.complete("o1")).rejects.toMatchObject({ code: "BINDPOOL_STORE" });
  });
});

describe("reassign by modify", () => {
  it("holds the old B on X until the platform applied the modify, then frees it", async () => {
    const { allocator, platform, store } = setup();
    const [a, b, c, d] = [phone("138", 1), phone("139", 1), phone("137", 1), phone("136", 1)];
    const bound = await allocator.allocate(order("o1", a, b));
    let duringModify: Promise<unknown> | undefined;
    platform.onModify = async () => {
      platform.onModify = undefined;
      // While the modify is on its way the platform still has B on X: a pair with B must not get X.
      duringModify = allocator.allocate(order("o2", d, b)).then(
        () => "allocated",
        (e: { code: string }) => e.code,
      );
      await duringModify;
    };
    await allocator.reassign("o1", { b: c });
    expect(await duringModify).toBe("BINDPOOL_POOL_EXHAUSTED");
    expect(platform.calls.filter((call) => call.startsWith("bind"))).toHaveLength(1);
    expect(await store.get("rides", "o1")).toMatchObject({ b: c });
    expect((await store.get("rides", "o1"))?.previousB).toBeUndefined();
    // Confirmed: the old B is free on X again.
    expect((await allocator.allocate(order("o2", d, b))).x).toBe(bound.x);
  });

  it("keeps the old B when the platform refuses the modify, and frees the new one", async () => {
    const { allocator, platform, store } = setup({}, xs(2));
    const [a, b, c] = [phone("138", 1), phone("139", 1), phone("137", 1)];
    const bound = await allocator.allocate(order("o1", a, b));
    platform.modifyScript.push({ kind: "invalidParam", code: "1010002", message: "scripted refusal" });
    const moved = await allocator.reassign("o1", { b: c }); // falls back to a new X
    expect(moved.x).not.toBe(bound.x);
    expect(await store.get("rides", "o1")).toMatchObject({ b: c });
    expect((await store.get("rides", "o1"))?.previousB).toBeUndefined();
    // Neither B is held on the old X any more: a pair with C can have it.
    expect((await allocator.allocate(order("o2", phone("136", 1), c))).x).toBe(bound.x);
  });
});
