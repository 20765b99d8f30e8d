import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeliveryMode, deliveryDay } from "../src/day.js";

// A short delivery day against the simulator over HTTP, in each way a delivery app masks its calls.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const day = (mode: DeliveryMode, redisUrl?: string) =>
  deliveryDay({
    mode,
    couriers: 5,
    customers: 90,
    batch: [10, 13],
    runsPerShift: 1,
    handoverShare: 0.1,
    callShare: 0.4,
    stopMs: [0, 3],
    capacity: 30,
    extensionDigits: 2,
    faults: false,
    redisUrl,
  });

describe.each([
  ["AXE", "memory"],
  ["AX", "memory"],
  ["AXE", "redis"],
  ["AX", "redis"],
] as const)("a delivery day in %s mode on the %s store", (mode, storeKind) => {
  it("routes every checked call to the right party and leaves nothing bound", async () => {
    const r = await day(mode, storeKind === "redis" ? redis.url : undefined);
    expect(r.failed).toEqual({});
    expect(r.day.delivered).toBe(r.day.orders);
    expect(r.day.peakCarried).toBeGreaterThanOrEqual(10);
    expect(r.day.customersWithSeveral).toBeGreaterThan(0);
    expect(r.day.handedOver).toBeGreaterThan(0);
    expect(r.day.shifts).toBeGreaterThan(5); // a courier's place was taken by the next shift
    expect(r.day.callsChecked).toBeGreaterThan(10);
    expect(r.day.misrouted).toEqual([]);
    // AXE: an order per binding; AX: a courier's shift per binding.
    expect(r.peakBindings).toBeGreaterThanOrEqual(mode === "AXE" ? 40 : 5);
    expect(r.peakViolations).toEqual([]);
    expect(r.historyViolations).toEqual([]);
    expect(r.leakedInStore).toBe(0);
    expect(r.leakedOnPlatform).toBe(0);
  }, 120_000);
});
