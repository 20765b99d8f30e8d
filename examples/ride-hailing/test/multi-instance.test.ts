import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCluster } from "../src/cluster.js";

// 4 allocator processes (child processes, not one event loop) on one Redis and one simulator.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("many instances on one Redis", () => {
  it("keeps every invariant over 20 000 orders from 4 processes, under the shared platform rate", async () => {
    const platformRequestsPerSecond = 1_500;
    const report = await runCluster({
      redisUrl: redis.url,
      instances: 4,
      orders: 20_000,
      numbers: 120,
      capacity: 300,
      platformRequestsPerSecond,
    });
    expect(report.failed).toEqual({});
    expect(report.allocated).toBe(20_000);
    expect(report.openBindings).toBeGreaterThan(1_000); // the quiet-state checks saw a busy pool
    expect(report.violations).toEqual([]);
    expect(report.maxPerSecond).toBeLessThanOrEqual(platformRequestsPerSecond);
    expect(report.flowControlled).toBe(0);
    expect(report.leakedInStore).toBe(0);
    expect(report.leakedOnPlatform).toBe(0);
  }, 900_000);
});
