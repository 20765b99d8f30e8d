import { Allocator, MemoryStore, PoolExhaustedError } from "@bindpool/core";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";
import { afterEach, describe, expect, it } from "vitest";
import { HuaweiDriver } from "../src/index.js";
import { pushReceiver } from "./harness.js";

async function receiverUrl(): Promise<string> {
  const receiver = await pushReceiver();
  receivers.push(receiver);
  return receiver.url;
}

// AXYB orders through the allocator, the memory store and this driver against the simulator over HTTP.

const app = { appKey: "axyb-e2e", appSecret: "axyb-e2e-secret" };
const numbers = [0, 1, 2, 3, 4, 5].map((i) => ({
  x: `+86172000000${String(i).padStart(2, "0")}`,
  city: "0755",
}));
const rider = (i: number) => `+86138${String(i).padStart(8, "0")}`;
const driverNumber = (i: number) => `+86139${String(i).padStart(8, "0")}`;
const order = (i: number) => ({
  pool: "p",
  orderKey: `o${i}`,
  a: rider(i),
  b: driverNumber(i),
  ttlSeconds: 600,
});

const running: Simulator[] = [];
const receivers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function setup() {
  const sim = await startSimulator({
    apps: [{ ...app, mode: "AXYB", numbers }],
    push: { url: await receiverUrl() },
  });
  running.push(sim);
  const store = new MemoryStore();
  const driver = new HuaweiDriver({ baseUrl: sim.url, ...app, requestsPerSecond: Number.POSITIVE_INFINITY });
  const allocator = new Allocator({
    store,
    driver,
    pools: [{ id: "p", mode: "AXYB", numbers }],
    backoffMs: 5,
  });
  return { sim, store, allocator };
}

describe("AXYB end to end against the simulator", () => {
  it("serves orders on X and Y, fills the pool, and frees both numbers on completion", async () => {
    const { sim, store, allocator } = await setup();
    const bound = [];
    for (let i = 1; i <= 3; i++) bound.push(await allocator.allocate(order(i)));
    expect(new Set(bound.flatMap((b) => [b.x, b.y])).size).toBe(6);
    // The platform holds each order's X and Y (read back through the API: A on X, B on Y).
    const reader = new HuaweiDriver({ baseUrl: sim.url, ...app });
    for (const [i, b] of bound.entries()) {
      const listed = await reader.query({ mode: "AXYB", x: b.x });
      expect(listed).toMatchObject({
        kind: "ok",
        value: {
          bindings: [
            { subscriptionId: b.subscriptionId, x: b.x, y: b.y, a: rider(i + 1), b: driverNumber(i + 1) },
          ],
        },
      });
    }
    await expect(allocator.allocate(order(4))).rejects.toBeInstanceOf(PoolExhaustedError);
    expect(await allocator.complete("o2")).toEqual({ status: "released" });
    expect(sim.bindings(app.appKey)).toHaveLength(2);
    const fourth = await allocator.allocate(order(4));
    expect(new Set([fourth.x, fourth.y])).toEqual(new Set([bound[1]!.x, bound[1]!.y]));
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("routes A's call through Y to B and B's call through X to A, each seeing the other's number", async () => {
    const { sim, allocator } = await setup();
    const b = await allocator.allocate(order(1));
    const fromA = await sim.simulateCall(app.appKey, { subscriptionId: b.subscriptionId, from: "a" });
    expect(fromA).toMatchObject({ x: b.y, caller: rider(1), called: driverNumber(1) });
    const fromB = await sim.simulateCall(app.appKey, { subscriptionId: b.subscriptionId, from: "b" });
    expect(fromB).toMatchObject({ x: b.x, caller: driverNumber(1), called: rider(1) });
    expect(sim.bindings(app.appKey)).toEqual([expect.objectContaining({ x: b.x, y: b.y })]);
  });

  it("ends B's side alone with releaseYB, A staying reachable through X until complete", async () => {
    const { sim, allocator } = await setup();
    const b = await allocator.allocate(order(1));
    const released: unknown[] = [];
    allocator.on("ybReleased", (e) => released.push(e));
    expect(await allocator.releaseYB("o1")).toEqual({ x: b.x });
    expect(released).toEqual([{ pool: "p", orderKey: "o1", x: b.x, y: b.y }]);
    expect(sim.bindings(app.appKey)).toEqual([expect.objectContaining({ x: b.x, a: rider(1) })]);
    expect(sim.bindings(app.appKey)[0]).not.toHaveProperty("y");
    // Releasing twice is harmless; the driver's call through X still reaches the rider.
    expect(await allocator.releaseYB("o1")).toEqual({ x: b.x });
    const fromB = await sim.simulateCall(app.appKey, { subscriptionId: b.subscriptionId, from: "b" });
    expect(fromB).toMatchObject({ x: b.x, called: rider(1) });
    const fromA = await sim.simulateCall(app.appKey, { subscriptionId: b.subscriptionId, from: "a" });
    expect(fromA.pushed).not.toContain("answer"); // Y no longer reaches the driver
    expect(await allocator.complete("o1")).toEqual({ status: "released" });
    expect(sim.bindings(app.appKey)).toEqual([]);
  });

  it("adopts every binding by its X and Y when the store lost its data", async () => {
    const { sim, store, allocator } = await setup();
    const before = [await allocator.allocate(order(1)), await allocator.allocate(order(2))];
    store.loseData();
    await expect(allocator.allocate(order(3))).rejects.toMatchObject({ code: expect.stringMatching(/LOST/) });
    await allocator.allocate(order(3));
    for (const b of before) {
      expect(await allocator.get(b.orderKey)).toMatchObject({ x: b.x, y: b.y, status: "bound" });
    }
    expect(sim.bindings(app.appKey)).toHaveLength(3);
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("reconciles a binding made behind bindpool's back by unbinding it", async () => {
    const { sim, allocator } = await setup();
    const mine = await allocator.allocate(order(1));
    const stray = new HuaweiDriver({ baseUrl: sim.url, ...app });
    const [x, y] = numbers.map((n) => n.x).filter((n) => n !== mine.x && n !== mine.y);
    const made = await stray.bind({
      mode: "AXYB",
      x: x!,
      y: y!,
      a: rider(8),
      b: driverNumber(8),
      durationSeconds: 600,
    });
    expect(made.kind).toBe("ok");
    const report = await allocator.reconcile();
    expect(report.unboundOrphans).toBe(1);
    expect(sim.bindings(app.appKey)).toHaveLength(1);
  });
});
