import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterReport, runCluster } from "../src/cluster.js";

// 4 allocator processes (child processes, not one event loop) on one Redis and one simulator.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const platformRequestsPerSecond = 1_500;

/** What every run must show: no rule broken in the quiet state, the platform's rate kept, nothing leaked. */
function expectSound(report: ClusterReport): void {
  expect(report.violations).toEqual([]);
  expect(report.maxPerSecond).toBeLessThanOrEqual(platformRequestsPerSecond);
  expect(report.flowControlled).toBe(0);
  expect(report.leakedInStore).toBe(0);
  expect(report.leakedOnPlatform).toBe(0);
}

describe("many instances on one Redis", () => {
  it("keeps every invariant over 20 000 orders from 4 processes, under the shared platform rate", async () => {
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
    expectSound(report);
  }, 900_000);

  // The same quiet-state checks in the modes without B: smaller runs, each mode's rules near their limits.
  it("keeps every AX rule (one A per X, at most 5 X per A) over 1 500 orders from 4 processes", async () => {
    const report = await runCluster({
      redisUrl: redis.url,
      mode: "AX",
      instances: 4,
      orders: 1_500,
      numbers: 700,
      capacity: 1,
      platformRequestsPerSecond,
    });
    // A few busy riders place many rides: past their fifth X the rule refuses them, and nothing else fails.
    expect(Object.keys(report.failed)).toEqual(["BINDPOOL_USER_LIMIT"]);
    expect(report.allocated + report.failed.BINDPOOL_USER_LIMIT!).toBe(1_500);
    expect(report.openBindings).toBeGreaterThan(250);
    expectSound(report);
  }, 300_000);

  it("keeps every AXE rule (an extension per binding, one A per X) over 3 000 orders from 4 processes", async () => {
    const report = await runCluster({
      redisUrl: redis.url,
      mode: "AXE",
      instances: 4,
      orders: 3_000,
      numbers: 30,
      capacity: 50,
      extensionDigits: 2,
      platformRequestsPerSecond,
    });
    expect(report.failed).toEqual({});
    expect(report.allocated).toBe(3_000);
    expect(report.openBindings).toBeGreaterThan(600); // 30 X × 50: about half the extensions taken
    expectSound(report);
  }, 300_000);

  it("keeps every AXYB rule (X and Y picked together, each number's load) over 1 500 orders from 4 processes", async () => {
    const report = await runCluster({
      redisUrl: redis.url,
      mode: "AXYB",
      instances: 4,
      orders: 1_500,
      numbers: 1_200,
      capacity: 1,
      platformRequestsPerSecond,
    });
    // The platform holds one A on at most 5 X (the store does not count X apart from Y, so the platform's
    // 1011003 says it): busy riders past their fifth ride are refused, and nothing else fails.
    expect(Object.keys(report.failed).filter((code) => code !== "BINDPOOL_USER_LIMIT")).toEqual([]);
    expect(report.allocated + (report.failed.BINDPOOL_USER_LIMIT ?? 0)).toBe(1_500);
    expect(report.openBindings).toBeGreaterThan(200);
    expectSound(report);
  }, 300_000);
});
