import { runStoreConformance } from "@bindpool/store-tests";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { conformanceStores, type RedisClusterServer, readyPool, startRedisCluster } from "./harness.js";

let cluster: RedisClusterServer;
let redis: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = cluster.client();
});
afterAll(async () => {
  await cluster?.stop();
});

runStoreConformance({
  name: "RedisStore on a 3-master Redis Cluster",
  ...conformanceStores("k", {
    redis: () => redis,
    another: () => cluster.client(),
    flush: async () => {
      await Promise.all(redis.nodes("master").map((n) => n.flushall()));
    },
  }),
  propertyRuns: 20,
});

describe("RedisStore on Redis Cluster", () => {
  it("keeps each pool on one shard and spreads pools over shards", async () => {
    const store = new RedisStore({ redis, prefix: "spread" });
    const pools = Array.from({ length: 12 }, (_, i) => `pool-${i}`);
    for (const pool of pools) {
      await readyPool(store, pool, "AXB", [{ x: "+8619900000001", capacity: 10 }]);
      const r = await store.reserve({
        pool,
        orderKey: "o1",
        a: "+8613800000001",
        b: "+8613800000002",
        exclude: [],
        strategy: { name: "leastLoaded" },
        leaseMs: 1_000,
        nowMs: 1_000,
      });
      expect(r.ok).toBe(true);
    }
    const keySlot = async (key: string) => Number(await redis.call("CLUSTER", "KEYSLOT", key));
    for (const pool of pools) {
      const k = store.keys(pool);
      const slot = await keySlot(k.meta);
      for (const key of [...k.fixed, k.entryBucket(0), k.userBucket(0), k.cityIndex("0755")]) {
        expect(await keySlot(key)).toBe(slot);
      }
    }
    // The pools landed on more than one master.
    const owners = new Set<string>();
    const nodes = redis.nodes("master");
    for (const pool of pools) {
      for (const node of nodes) {
        // A master that does not own the slot answers MOVED.
        const has = await node.exists(store.keys(pool).meta).catch(() => 0);
        if (has === 1) owners.add(`${node.options.port}`);
      }
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it("keeps working after every master's functions and script cache are flushed", async () => {
    const store = new RedisStore({ redis, prefix: "flush" });
    await readyPool(store, "p", "AXB", [{ x: "+8619900000001", capacity: 10 }]);
    await Promise.all(redis.nodes("master").map((n) => n.call("FUNCTION", "FLUSH")));
    await Promise.all(redis.nodes("master").map((n) => n.script("FLUSH")));
    const r = await store.reserve({
      pool: "p",
      orderKey: "o1",
      a: "+8613800000001",
      b: "+8613800000002",
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 1_000,
      nowMs: 1_000,
    });
    expect(r.ok).toBe(true);
  });
});
