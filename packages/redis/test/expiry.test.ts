/**
 * The expiry index keeps a lower bound of each bucket's earliest end, not the end itself (a release or a
 * later end leaves the bound where it was); `expired` must still list the oldest due entries exactly.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { type RedisServer, readyPool, startRedis } from "./harness.js";

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});
afterAll(async () => {
  await server?.stop();
});

const T0 = 1_000_000;
const phone = (prefix: string, i: number) => `${prefix}${String(i).padStart(9, "0")}`;

/** A pool of `n` bound orders `order-<i>` ending at T0 + 1 000 + i, over many entry buckets. */
async function boundPool(prefix: string, n: number) {
  const store = new RedisStore({ redis, prefix });
  await readyPool(
    store,
    "p",
    "AXB",
    Array.from({ length: 50 }, (_, i) => ({ x: phone("+86199", i), capacity: 5000 })),
  );
  const tokens: number[] = [];
  for (let i = 0; i < n; i++) {
    const orderKey = `order-${i}`;
    const r = await store.reserve({
      pool: "p",
      orderKey,
      a: phone("+86131", i),
      b: phone("+86132", i),
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 60_000,
      nowMs: T0,
    });
    if (!r.ok) throw new Error(r.reason);
    tokens[i] = r.entry.token;
    const confirm = { pool: "p", orderKey, token: r.entry.token, subscriptionId: `s${i}`, nowMs: T0 };
    expect(await store.confirm({ ...confirm, untilMs: T0 + 1_000 + i })).toBe("ok");
  }
  return { store, tokens };
}

describe("the expiry index", () => {
  it("lists the oldest due entries while most buckets' bounds are stale, in short script calls", async () => {
    const n = 8_000;
    const { store, tokens } = await boundPool("stale", n);
    // Releasing the 7 000 oldest leaves nearly every bucket (about 330) with a bound below its earliest
    // end, more than one script call sets right (256).
    for (let i = 0; i < 7_000; i++)
      expect(await store.release("p", `order-${i}`, tokens[i])).toBe("released");
    const oldest = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `order-${from + i}`);
    const stats = async () => {
      const info = await redis.info("commandstats");
      const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { scripts: calls("fcall"), reads: calls("zrangebyscore") };
    };
    const before = await stats();
    expect((await store.expired("p", T0 + 10_000, 10)).map((e) => e.orderKey)).toEqual(oldest(7_000, 10));
    const after = await stats();
    // It took more than one script call, each reading at most 256 stale + 26 live buckets, their pages of
    // the bound index and the lease index.
    const scripts = after.scripts - before.scripts;
    expect(scripts).toBeGreaterThan(1);
    expect(after.reads - before.reads).toBeLessThanOrEqual(scripts * (256 + 26 + 32));
    // Every bound read is exact again, and a later end leaves the order intact.
    const e = await store.get("p", "order-7000");
    expect(await store.extend("p", "order-7000", e!.token, T0 + 50_000)).toBe("ok");
    expect((await store.expired("p", T0 + 10_000, 3)).map((x) => x.orderKey)).toEqual(oldest(7_001, 3));
    expect((await store.expired("p", T0 + 60_000, n)).map((x) => x.orderKey)).toEqual([
      ...oldest(7_001, n - 7_001),
      "order-7000",
    ]);
  });

  it("lists reservations by lease end among bound orders, and forgets them once confirmed", async () => {
    const { store } = await boundPool("rsv", 100);
    const base = {
      pool: "p",
      exclude: [],
      strategy: { name: "leastLoaded" as const },
      nowMs: T0,
    };
    const r1 = await store.reserve({
      ...base,
      orderKey: "r1",
      a: phone("+86133", 1),
      b: phone("+86134", 1),
      leaseMs: 1_050,
    });
    const r2 = await store.reserve({
      ...base,
      orderKey: "r2",
      a: phone("+86133", 2),
      b: phone("+86134", 2),
      leaseMs: 1_020,
    });
    if (!r1.ok || !r2.ok) throw new Error("not reserved");
    const due = async (limit: number) => (await store.expired("p", T0 + 1_060, limit)).map((e) => e.orderKey);
    const bound = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `order-${from + i}`);
    // Equal ends go by orderKey ("order-20" before "r2").
    expect(await due(100)).toEqual([...bound(0, 20), "r2", ...bound(21, 50), "r1", ...bound(51, 60)]);
    expect(await due(22)).toEqual([...bound(0, 20), "r2"]);
    const confirm = { pool: "p", orderKey: "r2", token: r2.entry.token, subscriptionId: "s", nowMs: T0 };
    expect(await store.confirm({ ...confirm, untilMs: T0 + 5_000 })).toBe("ok");
    expect(await redis.zscore(store.keys("p").reservations, "r2")).toBeNull();
    expect(await due(100)).toEqual([...bound(0, 50), "r1", ...bound(51, 60)]);
  });
});
