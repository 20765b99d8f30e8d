import { RATE_WINDOW_MARGIN_MS, ValidationError } from "@bindpool/core";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimitWaitError, RedisRateLimiter } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** Grants in the busiest second-bucket and the busiest sliding window of `windowUs` (server clock, µs). */
function busiest(grantsUs: number[], windowUs = 1e6): { bucket: number; window: number } {
  const sorted = [...grantsUs].sort((x, y) => x - y);
  const perSecond = new Map<number, number>();
  for (const t of sorted) perSecond.set(Math.floor(t / 1e6), (perSecond.get(Math.floor(t / 1e6)) ?? 0) + 1);
  let window = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowUs) j++;
    window = Math.max(window, j - i);
  }
  return { bucket: Math.max(...perSecond.values()), window };
}

async function scriptCalls(redis: Redis): Promise<number> {
  const stats = await redis.info("commandstats");
  let calls = 0;
  for (const m of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

describe("RedisRateLimiter", () => {
  it("costs one script call per take and fills the budget with 4 instances x 32 concurrent takers", async () => {
    const rps = 400;
    const burst = 4;
    const admin = server.client();
    const limiters = Array.from(
      { length: 4 },
      () => new RedisRateLimiter({ redis: server.client(), key: "rate:herd", requestsPerSecond: rps, burst }),
    );
    // Register the script on every connection first, then count only the takes.
    for (const l of limiters) await l.take();
    await new Promise((r) => setTimeout(r, 100));
    await admin.config("RESETSTAT");
    const grantsUs: number[] = [];
    let takes = 0;
    const total = 600;
    await Promise.all(
      limiters.flatMap((l) =>
        Array.from({ length: 32 }, async () => {
          while (takes < total) {
            takes++;
            grantsUs.push(await l.takeAt());
          }
        }),
      ),
    );
    // One script call per take: no herd of retries (before slots were booked, 128 takers made ~58 per take).
    expect(await scriptCalls(admin)).toBe(takes);
    const { bucket, window } = busiest(grantsUs);
    expect(bucket).toBeLessThanOrEqual(rps + burst);
    expect(window).toBeLessThanOrEqual(rps + burst);
    // The margin: even a request that leaves up to RATE_WINDOW_MARGIN_MS after its grant keeps every
    // second at the platform within the budget (without it, 412 grants fit in 1 020 ms here).
    const padded = busiest(grantsUs, (1_000 + RATE_WINDOW_MARGIN_MS) * 1_000);
    expect(padded.window).toBeLessThanOrEqual(rps + burst);
  });

  it("keeps several instances together under the budget in every second", async () => {
    const rps = 40;
    const burst = 4;
    // Five instances, each with its own connection, each with 8 callers taking as fast as allowed.
    const limiters = Array.from(
      { length: 5 },
      () => new RedisRateLimiter({ redis: server.client(), key: "rate:app1", requestsPerSecond: rps, burst }),
    );
    const grantsUs: number[] = [];
    const total = 110;
    await Promise.all(
      limiters.flatMap((l) =>
        Array.from({ length: 8 }, async () => {
          while (grantsUs.length < total) grantsUs.push(await l.takeAt());
        }),
      ),
    );
    // Bucket grants by the server's clock: each second, and each sliding 1 s window from a grant.
    grantsUs.sort((x, y) => x - y);
    const perSecond = new Map<number, number>();
    for (const t of grantsUs)
      perSecond.set(Math.floor(t / 1e6), (perSecond.get(Math.floor(t / 1e6)) ?? 0) + 1);
    for (const n of perSecond.values()) expect(n).toBeLessThanOrEqual(rps + burst);
    let j = 0;
    for (let i = 0; i < grantsUs.length; i++) {
      while (j < grantsUs.length && grantsUs[j]! < grantsUs[i]! + 1e6) j++;
      expect(j - i).toBeLessThanOrEqual(rps + burst);
    }
    const spanS = (grantsUs.at(-1)! - grantsUs[0]!) / 1e6;
    expect(grantsUs.length).toBeLessThanOrEqual(Math.ceil(spanS * rps) + burst);
  });

  it("grants a burst at once after a quiet spell, then paces", async () => {
    const l = new RedisRateLimiter({
      redis: server.client(),
      key: "rate:app2",
      requestsPerSecond: 10,
      burst: 3,
    });
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push(await l.tryTake());
    expect(tries.slice(0, 3).map((t) => t.waitUs)).toEqual([0, 0, 0]);
    expect(tries[3]!.waitUs).toBeGreaterThan(0);
    // One interval: 1 s plus the margin, over 10.
    expect(tries[3]!.waitUs).toBeLessThanOrEqual((1_000 + RATE_WINDOW_MARGIN_MS) * 100);
  });

  it("rejects a take whose slot is beyond maxWaitMs, without using a slot", async () => {
    const l = new RedisRateLimiter({
      redis: server.client(),
      key: "rate:app3",
      requestsPerSecond: 10,
      maxWaitMs: 150,
    });
    // Book three slots at once: 0, 102 and 204 ms away; the third is beyond 150 ms and is refused at once.
    const first = l.takeAt();
    const second = l.takeAt();
    const refused = await l.takeAt().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(RateLimitWaitError);
    expect(refused).toMatchObject({ code: "BINDPOOL_RATE_LIMIT_WAIT", maxWaitMs: 150 });
    // The refused take left its slot free: the next booking is one interval after the second, not two.
    const [, grantedSecond, next] = await Promise.all([first, second, l.takeAt({ maxWaitMs: 1_000 })]);
    expect(next - grantedSecond).toBeGreaterThanOrEqual(100_000);
    expect(next - grantedSecond).toBeLessThan(200_000); // 204 000 had the refused take kept its slot
  });

  it("refuses bad options with the bad value in the message", () => {
    const redis = server.client();
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 0 })).toThrow(ValidationError);
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 5, burst: 0.5 })).toThrow(/0\.5/);
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 5, maxWaitMs: -1 })).toThrow(
      /-1/,
    );
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 5, windowMarginMs: -2 })).toThrow(
      /windowMarginMs.*-2/,
    );
  });
});
