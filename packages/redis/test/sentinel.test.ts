import { runStoreConformance } from "@bindpool/store-tests";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLock } from "../src/index.js";
import { conformanceStores, type RedisSentinelServer, startRedisSentinel } from "./harness.js";

// Sentinel through ioredis options: the store, locks and scripts work on a client that finds the master
// by asking a real Sentinel.

let server: RedisSentinelServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisSentinel();
  redis = server.client();
});
afterAll(async () => {
  await server?.stop();
});

runStoreConformance({
  name: "RedisStore through Redis Sentinel",
  ...conformanceStores("s", {
    redis: () => redis,
    another: () => server.client(),
    flush: async () => {
      await redis.flushall();
    },
  }),
  propertyRuns: 10,
});

describe("RedisLock through Redis Sentinel", () => {
  it("serialises work on one key", async () => {
    const lock = new RedisLock({ redis, prefix: "sl" });
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 4 }, () =>
        lock.using("k", 1_000, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 5));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
