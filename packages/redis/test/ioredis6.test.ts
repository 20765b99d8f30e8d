/**
 * ioredis is a peer dependency (`^5 || ^6`): the app's client, of either major, is the one bindpool uses.
 * The rest of the suite runs on ioredis 5; this file runs the store, the lock and the rate limiter on an
 * ioredis 6 client (installed as the `ioredis6` alias) and type-checks 6's Cluster against `RedisClient`.
 */
import type { Cluster as Cluster5, Redis as Redis5 } from "ioredis";
import { type Cluster as Cluster6, Redis as Redis6 } from "ioredis6";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type RedisClient, RedisLock, RedisRateLimiter, RedisStore } from "../src/index.js";
import { type RedisServer, readyPool, startRedis } from "./harness.js";

let server: RedisServer;
let redis: Redis6;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis6(server.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

describe("ioredis 6", () => {
  it("types Redis and Cluster clients of ioredis 5 and 6 as a RedisClient", () => {
    expectTypeOf<Redis5>().toExtend<RedisClient>();
    expectTypeOf<Cluster5>().toExtend<RedisClient>();
    expectTypeOf<Redis6>().toExtend<RedisClient>();
    expectTypeOf<Cluster6>().toExtend<RedisClient>();
  });

  it("reserves, confirms and releases through RedisStore on an ioredis 6 client", async () => {
    const store = new RedisStore({ redis, prefix: "v6" });
    await readyPool(store, "p", "AXB", [{ x: "+8619900000001", city: "0755", province: "GD", capacity: 5 }]);
    const nowMs = Date.now();
    const reserved = await store.reserve({
      pool: "p",
      orderKey: "o1",
      a: "+8613800000001",
      b: "+8613800000002",
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 60_000,
      nowMs,
    });
    if (!reserved.ok) throw new Error(`reserve failed: ${JSON.stringify(reserved)}`);
    expect(reserved.entry.x).toBe("+8619900000001");
    expect(await store.release("p", "o1")).toBe("released");
  });

  it("takes a lock and a rate-limiter permit on an ioredis 6 client", async () => {
    const lock = new RedisLock({ redis, prefix: "v6" });
    expect(await lock.using("order-1", 5_000, async () => "held")).toBe("held");
    const limiter = new RedisRateLimiter({ redis, key: "v6:rate", requestsPerSecond: 1_000 });
    await expect(limiter.take()).resolves.toBeUndefined();
  });
});
