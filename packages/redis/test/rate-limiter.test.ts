import { ValidationError } from "@bindpool/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateLimiter } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe("RedisRateLimiter", () => {
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
    expect(tries[3]!.waitUs).toBeLessThanOrEqual(100_000);
  });

  it("refuses bad options with the bad value in the message", () => {
    const redis = server.client();
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 0 })).toThrow(ValidationError);
    expect(() => new RedisRateLimiter({ redis, key: "k", requestsPerSecond: 5, burst: 0.5 })).toThrow(/0\.5/);
  });
});
