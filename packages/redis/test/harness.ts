/**
 * Test helpers of this package: the reusable Redis launcher (`src/testing.ts`, published as
 * `@bindpool/redis/testing`) plus test-only measurements.
 */
import type { Redis } from "ioredis";

export * from "../src/testing.js";

/**
 * Redis memory per active binding: `used_memory` (INFO memory) before and after `bindings` reserved and
 * confirmed AXB orders (distinct riders and drivers, UUID subscription ids, 14-character numbers).
 */
export async function measureBytesPerBinding(
  redis: Redis,
  options: { prefix: string; bindings: number; numbers?: number },
): Promise<number> {
  const { RedisStore } = await import("../src/index.js");
  const store = new RedisStore({ redis, prefix: options.prefix });
  const pad = (p: string, i: number) => `${p}${String(i).padStart(9, "0")}`;
  const numbers = options.numbers ?? 200;
  await store.upsertPool(
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
