/**
 * Redis restarts without persistence (issue 7 item 3): the instances notice the pool is gone, fail
 * closed, rebuild it from the platform (every order back under its orderKey, from userData), and no
 * reconcile unbinds a live order's binding on the way.
 */
import { Allocator, isRetryable, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const app = { appKey: "recovery-app", appSecret: "recovery-secret" };
const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;
const pool: PoolConfig = {
  id: "rides",
  mode: "AXB",
  numbers: Array.from({ length: 3 }, (_, i) => ({ x: phone("172", i) })),
};

let redis: RedisServer;
let sim: Simulator;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis(); // no AOF, no snapshots: a restart loses everything
  sim = await startSimulator({ apps: [{ ...app, mode: "AXB", numbers: pool.numbers }] });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await sim?.close();
  await redis?.stop();
});

function instance(): Allocator {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  clients.push(client);
  return new Allocator({
    store: new RedisStore({ redis: client }),
    lock: new RedisLock({ redis: client }),
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app, requestsPerSecond: 1_000 }),
    pools: [pool],
  });
}

/** Calls again while the answer says the store is recovering or was lost (as a client retries). */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 50 || !isRetryable(error)) throw error;
    }
  }
}

describe("a Redis that lost its data", () => {
  it("is noticed, rebuilt from the platform, and no live order loses its binding", async () => {
    const [first, second] = [instance(), instance()];
    const live = new Map<string, string>();
    for (let i = 0; i < 150; i++) {
      const b = await first.allocate({
        pool: "rides",
        orderKey: `o${i}`,
        a: phone("138", i),
        b: phone("139", i),
        ttlSeconds: 600,
      });
      live.set(b.orderKey, b.subscriptionId);
    }
    await second.init();

    await redis.restart!();

    // The other instance's periodic reconcile runs first: it must not take the live orders' bindings.
    // (BINDPOOL_STORE when its connection has not come back yet; STORE_LOST once it reads the pool.)
    await expect(second.reconcile()).rejects.toMatchObject({
      code: expect.stringMatching(/^BINDPOOL_STORE/),
    });
    expect(sim.bindings(app.appKey)).toHaveLength(150);

    // Allocation goes on once the pool is rebuilt; every old order is back under its own key.
    const next = await retried(() =>
      first.allocate({
        pool: "rides",
        orderKey: "after",
        a: phone("138", 900),
        b: phone("139", 900),
        ttlSeconds: 600,
      }),
    );
    expect(sim.bindings(app.appKey).map((b) => b.subscriptionId)).toContain(next.subscriptionId);
    for (const [orderKey, subscriptionId] of live) {
      const entry = await retried(() => second.get(orderKey));
      expect(entry, orderKey).toMatchObject({ status: "bound", subscriptionId });
    }
    expect(await retried(() => second.reconcile())).toMatchObject({ unboundOrphans: 0, droppedMissing: 0 });
    expect(sim.bindings(app.appKey)).toHaveLength(151);

    // Completing an order from before the loss unbinds it at the platform.
    expect(await retried(() => second.complete("o7"))).toEqual({ status: "released" });
    expect(sim.bindings(app.appKey).map((b) => b.subscriptionId)).not.toContain(live.get("o7"));
  });
});
