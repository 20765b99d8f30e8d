import { Allocator, MemoryStore, StoreLostError } from "@bindpool/core";
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

// AXE through the allocator, the memory store and this driver against the simulator over real HTTP.

const app = { appKey: "axe-e2e", appSecret: "axe-e2e-secret" };
const X1 = "+8617100000001";
const X2 = "+8617100000002";
const customer = (i: number) => `+86139${String(i).padStart(8, "0")}`;
const COURIER = "+8613700000001";

const running: Simulator[] = [];
const receivers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function setup(numbers: { x: string; extensionDigits: number; capacity?: number }[]) {
  const sim = await startSimulator({
    apps: [{ ...app, mode: "AXE", numbers }],
    push: { url: await receiverUrl() },
  });
  running.push(sim);
  const store = new MemoryStore();
  const driver = new HuaweiDriver({
    baseUrl: sim.url,
    ...app,
    requestsPerSecond: Number.POSITIVE_INFINITY,
  });
  const allocator = new Allocator({ store, driver, pools: [{ id: "food", mode: "AXE", numbers }] });
  return { sim, store, allocator };
}

describe("AXE orders through the allocator against the simulator", () => {
  it("binds each customer behind X on the store's extension, routes the courier's call and the call back", async () => {
    const { sim, allocator } = await setup([{ x: X1, extensionDigits: 3 }]);
    const first = await allocator.allocate({
      pool: "food",
      orderKey: "o1",
      a: customer(1),
      ttlSeconds: 1800,
    });
    const second = await allocator.allocate({
      pool: "food",
      orderKey: "o2",
      a: customer(2),
      ttlSeconds: 1800,
    });
    expect([first.x, first.extension, second.extension]).toEqual([X1, "001", "002"]);
    const atPlatform = sim.bindings(app.appKey).map((b) => [b.subscriptionId, b.extension, b.a]);
    expect(atPlatform).toEqual(
      expect.arrayContaining([
        [first.subscriptionId, "001", customer(1)],
        [second.subscriptionId, "002", customer(2)],
      ]),
    );

    // The courier dials X, then 002, and reaches customer 2; the customer's call back reaches the courier.
    const inbound = await sim.simulateCall(app.appKey, {
      subscriptionId: second.subscriptionId,
      from: "b",
      peer: COURIER,
    });
    expect(inbound).toMatchObject({ caller: COURIER, called: customer(2) });
    const back = await sim.simulateCall(app.appKey, { subscriptionId: second.subscriptionId, from: "a" });
    expect(back).toMatchObject({ caller: customer(2), called: COURIER });

    expect(await allocator.complete("o1")).toEqual({ status: "released" });
    expect(sim.bindings(app.appKey).map((b) => b.subscriptionId)).toEqual([second.subscriptionId]);
    const third = await allocator.allocate({
      pool: "food",
      orderKey: "o3",
      a: customer(3),
      ttlSeconds: 1800,
    });
    expect(third.extension).toBe("001");
  });

  it("stops at the X's capacity and moves to the next X; a customer sits once per X", async () => {
    const { allocator, store } = await setup([
      { x: X1, extensionDigits: 1, capacity: 3 },
      { x: X2, extensionDigits: 1, capacity: 3 },
    ]);
    const placed = [];
    for (let i = 1; i <= 6; i++) {
      placed.push(
        await allocator.allocate({ pool: "food", orderKey: `o${i}`, a: customer(i), ttlSeconds: 600 }),
      );
    }
    expect(placed.filter((b) => b.x === X1)).toHaveLength(3);
    expect(placed.filter((b) => b.x === X2)).toHaveLength(3);
    await expect(
      allocator.allocate({ pool: "food", orderKey: "o7", a: customer(7), ttlSeconds: 600 }),
    ).rejects.toMatchObject({ code: "BINDPOOL_POOL_EXHAUSTED" });
    await allocator.complete("o1");
    const again = await allocator.allocate({ pool: "food", orderKey: "o8", a: customer(2), ttlSeconds: 600 });
    expect(again.x).not.toBe(placed[1]!.x); // customer 2 is already on that X
    expect(await invariantViolations(store, "food")).toEqual([]);
  });

  it("rebuilds every order onto its own extension after the store lost its data, over many cursor pages", async () => {
    const { allocator, store, sim } = await setup([{ x: X1, extensionDigits: 4, capacity: 300 }]);
    const orders = 230; // more than two pages of the driver's v2.0 listing (100 per page)
    const made = new Map<string, string | undefined>();
    for (let i = 1; i <= orders; i++) {
      const b = await allocator.allocate({
        pool: "food",
        orderKey: `o${i}`,
        a: customer(i),
        ttlSeconds: 3600,
      });
      made.set(b.orderKey, b.extension);
    }
    for (let i = 1; i <= orders; i += 7) await allocator.complete(`o${i}`); // holes in the extensions
    for (let i = 1; i <= orders; i += 7) made.delete(`o${i}`);
    store.loseData();
    const next = { pool: "food", orderKey: "new", a: customer(999), ttlSeconds: 60 };
    await expect(allocator.allocate(next)).rejects.toBeInstanceOf(StoreLostError);
    const fresh = await allocator.allocate(next);
    for (const [orderKey, extension] of made) {
      expect((await allocator.get(orderKey))?.extension).toBe(extension);
    }
    expect(fresh.extension).toBe("0001"); // the lowest hole, not an adopted order's extension
    expect(sim.bindings(app.appKey)).toHaveLength(made.size + 1);
    expect(await invariantViolations(store, "food")).toEqual([]);
  });
});
