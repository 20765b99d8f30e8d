import {
  Allocator,
  type AllocatorOptions,
  type BindpoolError,
  internalKey,
  MemoryStore,
  type NumberConfig,
} from "@bindpool/core";
import { type Simulator, type SimulatorOptions, startSimulator } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";
import { afterEach, describe, expect, it } from "vitest";
import { HuaweiDriver } from "../src/index.js";

// The allocator, the memory store and this driver against the simulator over real HTTP.

const app = { appKey: "e2e-key", appSecret: "e2e-secret" };
const xs = (n: number, extra: Partial<NumberConfig> = {}): NumberConfig[] =>
  Array.from({ length: n }, (_, i) => ({
    x: `+86170000000${String(i).padStart(2, "0")}`,
    city: "0755",
    ...extra,
  }));
const user = (i: number) => `+86138${String(i).padStart(8, "0")}`;

const running: Simulator[] = [];
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close();
});

async function setup(o: {
  mode?: "AXB" | "AX";
  numbers: NumberConfig[];
  platformCapacity?: number;
  secret?: string;
  sim?: Partial<SimulatorOptions>;
  allocator?: Partial<AllocatorOptions>;
  timeoutMs?: number;
}) {
  const mode = o.mode ?? "AXB";
  const sim = await startSimulator({
    apps: [
      {
        ...app,
        mode,
        numbers: o.numbers.map((n) => ({ x: n.x, city: n.city, capacity: o.platformCapacity })),
      },
    ],
    ...o.sim,
  });
  running.push(sim);
  const store = new MemoryStore();
  const driver = new HuaweiDriver({
    baseUrl: sim.url,
    appKey: app.appKey,
    appSecret: o.secret ?? app.appSecret,
    timeoutMs: o.timeoutMs ?? 5_000,
    requestsPerSecond: Number.POSITIVE_INFINITY,
  });
  const allocator = new Allocator({
    store,
    driver,
    pools: [{ id: "p", mode, numbers: o.numbers }],
    backoffMs: 5,
    ...o.allocator,
  });
  const retried: string[] = [];
  allocator.on("retried", (e) => retried.push(`${e.reason}:${e.code}`));
  return { sim, store, allocator, retried };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as BindpoolError).code;
  }
  throw new Error("expected the call to throw");
}

describe("Allocator with the Huawei driver against the simulator", () => {
  it("moves to another X when the platform says an X is full, and stops with POOL_EXHAUSTED when none is left", async () => {
    const numbers = xs(2);
    const { sim, allocator, retried, store } = await setup({ numbers, platformCapacity: 1 });
    sim.bindBehindBack(app.appKey, { x: numbers[0]!.x, a: user(900), b: user(901) }); // X0 is full at the platform
    const first = await allocator.allocate({
      pool: "p",
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 60,
    });
    const second = allocator.allocate({ pool: "p", orderKey: "o2", a: user(3), b: user(4), ttlSeconds: 60 });
    expect(first.x).toBe(numbers[1]!.x);
    expect(await codeOf(second)).toBe("BINDPOOL_POOL_EXHAUSTED"); // X1 is full now too (platform capacity 1)
    expect(retried.filter((r) => r.startsWith("exhausted:1012009")).length).toBeGreaterThanOrEqual(1);
    expect(await store.get("p", "o2")).toBeUndefined();
  });

  it("fences a user that an unknown binding holds on X off that X, leaves X to others, and the reconciler unbinds it", async () => {
    const numbers = xs(3);
    const x0 = numbers[0]!.x;
    const { sim, allocator, store, retried } = await setup({ numbers });
    await allocator.init(); // the pool is in the store (its rebuild found nothing) before the stray binding
    // Rider 1 is already on X0 at the platform, as the B of a binding bindpool did not make.
    const foreign = sim.bindBehindBack(app.appKey, { x: x0, a: user(900), b: user(1), durationSeconds: 600 });
    const fenced: string[] = [];
    allocator.on("fenced", (e) => fenced.push(e.orderKey));
    const order = (orderKey: string, a: number, b: number) =>
      allocator.allocate({ pool: "p", orderKey, a: user(a), b: user(b), ttlSeconds: 60, preferX: x0 });

    const first = await order("o1", 1, 2);
    expect(first.x).not.toBe(x0);
    expect(retried).toEqual(["conflict:1012010"]);
    expect(fenced).toEqual([internalKey("foreign", foreign.subscriptionId)]);
    expect(await store.get("p", internalKey("foreign", foreign.subscriptionId))).toMatchObject({
      status: "bound",
      x: x0,
      a: user(900),
      b: user(1),
    });
    // The store knows now: rider 1 is never sent to X0 again, and X0 takes every other pair at once.
    expect((await order("o2", 1, 3)).x).not.toBe(x0);
    expect(await codeOf(order("o3", 1, 4))).toBe("BINDPOOL_POOL_EXHAUSTED");
    expect((await order("o4", 5, 6)).x).toBe(x0);
    expect(retried).toHaveLength(1);

    // The reconciler unbinds it like any binding no order owns; then rider 1 may use X0.
    expect(await allocator.reconcile()).toMatchObject({ unboundOrphans: 1, adopted: 0 });
    expect(sim.bindings(app.appKey).map((b) => b.subscriptionId)).not.toContain(foreign.subscriptionId);
    expect(await store.get("p", internalKey("foreign", foreign.subscriptionId))).toBeUndefined();
    expect((await order("o3", 1, 4)).x).toBe(x0);
  });

  it("never puts a user twice on one X nor an X over capacity, in the store and on the platform", async () => {
    const numbers = xs(6, { capacity: 4 });
    const { sim, allocator, store } = await setup({ numbers, platformCapacity: 4 });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        allocator.allocate({
          pool: "p",
          orderKey: `o${i}`,
          a: user(i % 7),
          b: user(100 + ((i * 3) % 11)),
          ttlSeconds: 60,
        }),
      ),
    );
    const bound = results.filter((r) => r.status === "fulfilled").length;
    expect(bound).toBeGreaterThan(0);
    expect(await invariantViolations(store, "p")).toEqual([]);
    const onPlatform = sim.bindings(app.appKey);
    expect(onPlatform).toHaveLength(bound);
    const perX = new Map<string, string[]>();
    for (const b of onPlatform) perX.set(b.x, [...(perX.get(b.x) ?? []), b.a, b.b!]);
    for (const [, users] of perX) {
      expect(new Set(users).size).toBe(users.length);
      expect(users.length / 2).toBeLessThanOrEqual(4);
    }
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as BindpoolError).code).toBe("BINDPOOL_POOL_EXHAUSTED");
    }
  });

  it("sets the callee of a courier's next call through its AX number, and a new one replaces it", async () => {
    const { sim, allocator } = await setup({ mode: "AX", numbers: xs(2) });
    const courier = await allocator.allocate({
      pool: "p",
      orderKey: "shift-1",
      a: user(1),
      ttlSeconds: 3_600,
    });
    const set = await allocator.setCallee("shift-1", { callee: user(700), ttlSeconds: 300 });
    expect(set.x).toBe(courier.x);
    const held = () => sim.bindings(app.appKey).find((b) => b.subscriptionId === courier.subscriptionId);
    expect(held()).toMatchObject({ callee: user(700) });
    await allocator.setCallee("shift-1", { callee: user(701) });
    expect(held()).toMatchObject({ callee: user(701) });
    expect(await codeOf(allocator.setCallee("shift-1", { callee: user(1) }))).toBe("BINDPOOL_VALIDATION");
    expect(held()).toMatchObject({ callee: user(701) });
  });

  it("fences an AX number that another A holds behind bindpool's back until the reconciler frees it", async () => {
    const numbers = xs(2);
    const x0 = numbers[0]!.x;
    const { sim, allocator, store, retried } = await setup({ mode: "AX", numbers });
    await allocator.init(); // the pool is in the store (its rebuild found nothing) before the stray binding
    const foreign = sim.bindBehindBack(app.appKey, { x: x0, a: user(900) });
    const order = (orderKey: string, a: number) =>
      allocator.allocate({ pool: "p", orderKey, a: user(a), ttlSeconds: 60, preferX: x0 });
    expect((await order("o1", 1)).x).toBe(numbers[1]!.x);
    expect(retried).toEqual(["conflict:1011005"]);
    expect(await store.get("p", internalKey("foreign", foreign.subscriptionId))).toMatchObject({
      x: x0,
      a: user(900),
    });
    // X0 carries its one A: no order is sent there again (no second conflict) until it is free.
    expect(await codeOf(order("o2", 2))).toBe("BINDPOOL_POOL_EXHAUSTED");
    expect(retried).toHaveLength(1);
    expect(await allocator.reconcile()).toMatchObject({ unboundOrphans: 1 });
    expect((await order("o2", 2)).x).toBe(x0);
  });

  it("never gives an A a 6th X in AX mode", async () => {
    const { sim, allocator } = await setup({ mode: "AX", numbers: xs(7) });
    for (let i = 0; i < 5; i++)
      await allocator.allocate({ pool: "p", orderKey: `o${i}`, a: user(1), ttlSeconds: 60 });
    expect(await codeOf(allocator.allocate({ pool: "p", orderKey: "o6", a: user(1), ttlSeconds: 60 }))).toBe(
      "BINDPOOL_USER_LIMIT",
    );
    expect(sim.bindings(app.appKey).filter((b) => b.a === user(1))).toHaveLength(5);
  });

  it("gives PLATFORM_AUTH for a wrong app secret and keeps nothing reserved", async () => {
    const { allocator, store, sim } = await setup({ numbers: xs(2), secret: "wrong-secret" });
    const error = allocator.allocate({ pool: "p", orderKey: "o1", a: user(1), b: user(2), ttlSeconds: 60 });
    expect(await codeOf(error)).toBe("BINDPOOL_PLATFORM_AUTH");
    expect(await store.entries("p")).toEqual([]);
    expect(sim.bindings()).toEqual([]);
  });

  it("gives one binding to 50 concurrent calls with one orderKey", async () => {
    const { allocator, sim } = await setup({ numbers: xs(3) });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        allocator.allocate({ pool: "p", orderKey: "same", a: user(1), b: user(2), ttlSeconds: 60 }),
      ),
    );
    expect(new Set(results.map((r) => r.subscriptionId)).size).toBe(1);
    expect(sim.bindings(app.appKey)).toHaveLength(1);
  });

  it("quarantines an X the platform reports abnormal and binds elsewhere", async () => {
    const numbers = xs(2);
    const { sim, allocator, store } = await setup({ numbers });
    sim.setNumberStatus(app.appKey, numbers[0]!.x, "abnormal");
    for (let i = 0; i < 3; i++) {
      const b = await allocator.allocate({
        pool: "p",
        orderKey: `o${i}`,
        a: user(10 + i),
        b: user(20 + i),
        ttlSeconds: 60,
      });
      expect(b.x).toBe(numbers[1]!.x);
    }
    const x0 = (await store.numbers("p")).find((n) => n.x === numbers[0]!.x);
    expect(x0?.state).toBe("quarantined");
  });

  it("rides through flow control, 5xx and timeouts without orphan or leaked bindings", async () => {
    const { sim, allocator, store, retried } = await setup({
      numbers: xs(4),
      timeoutMs: 1_000,
      allocator: { transientRetries: 6 },
      sim: {
        faults: { flowControlRate: 0.15, serverErrorRate: 0.15, timeoutRate: 0.1, hangMs: 1_500, seed: 11 },
      },
    });
    const orders = Array.from({ length: 40 }, (_, i) => `o${i}`);
    const outcomes = await Promise.allSettled(
      orders.map((orderKey, i) =>
        allocator.allocate({ pool: "p", orderKey, a: user(i), b: user(500 + i), ttlSeconds: 60 }),
      ),
    );
    expect(retried).toEqual(expect.arrayContaining([expect.stringMatching(/^rateLimited:1010010/)]));
    expect(retried).toEqual(expect.arrayContaining([expect.stringMatching(/^transient:1010001/)]));
    // Every platform binding is known to the store: adopted after a timeout, or still reserved when the
    // outcome stayed unknown (release asks the platform then).
    await new Promise((r) => setTimeout(r, 1_600)); // let held (timed-out) requests land
    const known = new Set((await store.entries("p")).map((e) => `${e.x}/${e.a}/${e.b}`));
    for (const b of sim.bindings(app.appKey)) expect(known).toContain(`${b.x}/${b.a}/${b.b}`);
    expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeGreaterThan(0);

    sim.faults.reset();
    for (const orderKey of orders) await allocator.release(orderKey);
    expect(sim.bindings(app.appKey)).toEqual([]);
    expect(await store.entries("p")).toEqual([]);
  });
});
