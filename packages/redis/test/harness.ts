/**
 * Test helpers of this package: the reusable Redis launcher (`src/testing.ts`, published as
 * `@bindpool/redis/testing`) plus test-only measurements.
 */
import type { Mode, Store, StoredNumber } from "@bindpool/core";
import type { Redis } from "ioredis";
import { RedisStore } from "../src/index.js";
import type { RedisClient } from "../src/scripts.js";

export * from "../src/testing.js";

/**
 * Creates or updates a pool and ends its recovery at once: a new pool is recovering until the allocator
 * rebuilds it from the platform, and a test's pool has no platform bindings to rebuild.
 */
export async function readyPool(
  store: Store,
  pool: string,
  mode: Mode,
  numbers: readonly StoredNumber[],
): Promise<void> {
  const { generation } = await store.upsertPool(pool, mode, numbers);
  await store.finishRecovery(pool, generation);
}

/**
 * The store hooks of `runStoreConformance` on one Redis (standalone, Cluster or Sentinel): each store
 * gets a fresh key prefix on the shared client `redis()`, so stores never see each other's keys;
 * `connect` is a second process (a new client from `another()`, same prefix); `loseData` is `flush`
 * (FLUSHALL: keys and functions gone, as after a restart without persistence; tests in a file run one by
 * one).
 */
export function conformanceStores(
  letter: string,
  clients: { redis: () => RedisClient; another: () => RedisClient; flush: () => Promise<void> },
) {
  let seq = 0;
  const prefixes = new WeakMap<Store, string>();
  return {
    create: async (): Promise<Store> => {
      const prefix = `${letter}${++seq}`;
      const store = new RedisStore({ redis: clients.redis(), prefix });
      prefixes.set(store, prefix);
      return store;
    },
    connect: async (store: Store): Promise<Store> =>
      new RedisStore({ redis: clients.another(), prefix: prefixes.get(store)! }),
    loseData: () => clients.flush(),
  };
}

/**
 * Redis memory per active binding: `used_memory` (INFO memory) before and after `bindings` reserved and
 * confirmed AXB orders (distinct riders and drivers, UUID subscription ids, 14-character numbers).
 */
export async function measureBytesPerBinding(
  redis: Redis,
  options: { prefix: string; bindings: number; numbers?: number },
): Promise<number> {
  const store = new RedisStore({ redis, prefix: options.prefix });
  const pad = (p: string, i: number) => `${p}${String(i).padStart(9, "0")}`;
  const numbers = options.numbers ?? 200;
  await readyPool(
    store,
    "mem",
    "AXB",
    Array.from({ length: numbers }, (_, i) => ({ x: pad("+86199", i), capacity: 5000 })),
  );
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1]);
  const before = await used();
  let next = 0;
  const now = Date.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < options.bindings) {
        const i = next++;
        const r = await store.reserve({
          pool: "mem",
          orderKey: `order-${10_000_000 + i}`,
          a: pad("+8613", i),
          b: pad("+8615", i),
          exclude: [],
          strategy: { name: "leastLoaded" },
          leaseMs: 30_000,
          nowMs: now,
        });
        if (!r.ok) throw new Error(`reserve failed: ${r.reason}`);
        await store.confirm({
          pool: "mem",
          orderKey: r.entry.orderKey,
          token: r.entry.token,
          subscriptionId: crypto.randomUUID(),
          untilMs: now + 3_600_000 + i,
          nowMs: now,
        });
      }
    }),
  );
  return ((await used()) - before) / options.bindings;
}
