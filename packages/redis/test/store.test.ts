import { randomUUID } from "node:crypto";
import { type ReserveRequest, StoreError, ValidationError } from "@bindpool/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { measureBytesPerBinding, type RedisServer, readyPool, startRedis } from "./harness.js";

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
const xs = (n: number, capacity = 5000) =>
  Array.from({ length: n }, (_, i) => ({ x: phone("+86199", i), capacity }));
let seq = 0;
const fresh = (options: { wakeLimit?: number } = {}) =>
  new RedisStore({ redis, prefix: `t${++seq}`, ...options });
const req = (over: Partial<ReserveRequest>): ReserveRequest => ({
  pool: "p",
  orderKey: "o1",
  a: "+8613800000001",
  b: "+8613800000002",
  exclude: [],
  strategy: { name: "leastLoaded" },
  leaseMs: 1_000,
  nowMs: T0,
  ...over,
});

describe("RedisStore", () => {
  it("keeps working after the server's functions and script cache are flushed (reloads the library)", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(2));
    const first = await store.reserve(req({ orderKey: "o1" }));
    await redis.call("FUNCTION", "FLUSH");
    await redis.script("FLUSH");
    const second = await store.reserve(req({ orderKey: "o2", a: "+8613800000003", b: "+8613800000004" }));
    expect(first.ok && second.ok).toBe(true);
    await redis.call("FUNCTION", "FLUSH");
    expect(await store.release("p", "o1")).toBe("released");
  });

  it("keeps every key of a pool under the prefix and the pool's hash tag", async () => {
    const store = new RedisStore({ redis, prefix: "tagged" });
    await readyPool(store, "p-1", "AXB", [
      { x: "+8619900000001", city: "0755", province: "GD", capacity: 5 },
    ]);
    await store.reserve(req({ pool: "p-1" }));
    const keys = await redis.keys("tagged*");
    expect(keys.length).toBeGreaterThan(5);
    for (const k of keys) expect(k.startsWith("tagged:{p-1}:")).toBe(true);
  });

  it("writes only keys PoolKeys names (includes/keys.lua mirrors keys.ts)", async () => {
    const store = new RedisStore({ redis, prefix: "named" });
    const k = store.keys("p");
    const numbers = [
      { x: "+8619900000001", city: "0755", province: "GD", capacity: 200, extensionDigits: 3 },
      { x: "+8619900000002", city: "020", province: "GD", capacity: 200, extensionDigits: 3 },
    ];
    await readyPool(store, "p", "AXE", numbers);
    // Enough entries and users that both linear-hashing tables split.
    for (let i = 0; i < 120; i++) {
      const r = await store.reserve(
        req({
          orderKey: `o${i}`,
          a: phone("+86138", i),
          b: undefined,
          area: { city: "0755", match: "ladder" },
        }),
      );
      if (!r.ok) throw new Error(r.reason);
      if (i % 2 === 0) {
        const confirm = { pool: "p", orderKey: `o${i}`, token: r.entry.token, subscriptionId: `s${i}` };
        expect(await store.confirm({ ...confirm, nowMs: T0, untilMs: T0 + 9_000 })).toBe("ok");
      }
    }
    await store.cooldown("p", numbers[1]!.x, T0 + 60_000);
    const ids = await redis.hvals(k.xid);
    const named = new Set<string>([
      ...k.fixed,
      k.reservations,
      k.loads,
      k.cityIndex("0755"),
      k.cityIndex("020"),
      k.provinceIndex("GD"),
    ]);
    for (const id of ids) named.add(k.extensions(id));
    for (let b = 0; b < 64; b++) {
      for (const key of [k.entryBucket(b), k.expiryBucket(b), k.userBucket(b)]) named.add(key);
    }
    const keys = await redis.keys("named*");
    for (const key of keys) expect(named, key).toContain(key);
    // Every kind of key was written.
    for (const kind of [k.entryBucket(1), k.expiryBucket(1), k.userBucket(1)]) {
      expect(keys).toContain(kind);
    }
    for (const key of [
      k.cityIndex("0755"),
      k.provinceIndex("GD"),
      k.extensions((await redis.hget(k.xid, numbers[0]!.x))!),
      k.cool,
      k.reservations,
      k.loads,
    ]) {
      expect(keys).toContain(key);
    }
  });

  it("reads a big pool's entries in many short calls, missing none while buckets split meanwhile", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(50));
    const reserve = (i: number) =>
      store.reserve(req({ orderKey: `order-${i}`, a: phone("+8613", i), b: phone("+8615", i), nowMs: T0 }));
    const first = 4_000;
    for (let i = 0; i < first; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => reserve(i + j)));
    }
    const calls = async () => {
      const info = String(await redis.info("commandstats"));
      return (
        Number(/cmdstat_fcall_ro:calls=(\d+)/.exec(info)?.[1] ?? 0) +
        Number(/cmdstat_fcall:calls=(\d+)/.exec(info)?.[1] ?? 0)
      );
    };
    // More reservations land while the pages are read: the entry table splits buckets under the reader.
    const [entries] = await Promise.all([
      store.entries("p"),
      (async () => {
        for (let i = first; i < first + 2_000; i += 50) {
          await Promise.all(Array.from({ length: 50 }, (_, j) => reserve(i + j)));
        }
      })(),
    ]);
    const read = new Set(entries.map((e) => e.orderKey));
    expect(read.size).toBe(entries.length); // each entry once
    for (let i = 0; i < first; i++) expect(read.has(`order-${i}`)).toBe(true);
    // Alone, a read of 6 000 entries takes many short calls (about 100 entries each), not one long one.
    const before = await calls();
    expect(await store.entries("p")).toHaveLength(first + 2_000);
    expect((await calls()) - before).toBeGreaterThan(10);
  });

  it("splits entry and user buckets as the pool grows, keeping every bucket compact", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(50));
    const n = 3_000;
    const subs = new Map<string, string>();
    for (let i = 0; i < n; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, j) => {
          const orderKey = `order-${i + j}`;
          const r = await store.reserve(
            req({ orderKey, a: phone("+8613", i + j), b: phone("+8615", i + j), nowMs: T0 + i + j }),
          );
          if (!r.ok) throw new Error(r.reason);
          if ((i + j) % 2 === 0) {
            const sub = randomUUID();
            subs.set(orderKey, sub);
            await store.confirm({
              pool: "p",
              orderKey,
              token: r.entry.token,
              subscriptionId: sub,
              untilMs: T0 + 10_000 + (i + j),
              nowMs: T0,
            });
          }
        }),
      );
    }
    const entries = await store.entries("p");
    expect(entries).toHaveLength(n);
    for (const e of entries) expect(e.subscriptionId).toBe(subs.get(e.orderKey));
    // Buckets beyond the first exist, and each is listpack-encoded.
    const k = store.keys("p");
    const buckets = await redis.keys(`${k.base}[eux]:*`);
    expect(buckets.length).toBeGreaterThan(4 * 50);
    for (const key of buckets) expect([key, await redis.object("ENCODING", key)]).toEqual([key, "listpack"]);
    // Expired entries come oldest first across buckets: reservations ended first (odd i), then orders.
    const ended = await store.expired("p", T0 + 20_000, 40);
    const expected = entries
      .map((e) => e.untilMs)
      .sort((x, y) => x - y)
      .slice(0, 40);
    expect(ended.map((e) => e.untilMs)).toEqual(expected);
    // Releasing everything empties the tables.
    for (const e of entries) await store.release("p", e.orderKey, e.token);
    expect(await store.entries("p")).toEqual([]);
    expect((await store.numbers("p")).every((x) => x.load === 0)).toBe(true);
    expect(await redis.keys(`${k.base}[eux]:*`)).toEqual([]);
  });

  it("carries subscriptionIds and end times through markReleasing and swap across buckets", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(20));
    const n = 400;
    const tokens = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const orderKey = `order-${i}`;
      const r = await store.reserve(req({ orderKey, a: phone("+8613", i), b: phone("+8615", i) }));
      if (!r.ok) throw new Error(r.reason);
      tokens.set(orderKey, r.entry.token);
      if (i % 2 === 0) {
        await store.confirm({
          pool: "p",
          orderKey,
          token: r.entry.token,
          subscriptionId: `sub-${i}`,
          untilMs: T0 + 100_000 + i,
          nowMs: T0,
        });
      }
    }
    // Releasing from bound keeps the subscriptionId; from reserved it has none. Both count as bound.
    expect(await store.markReleasing("p", "order-0", tokens.get("order-0")!, T0 + 5)).toBe("ok");
    expect(await store.markReleasing("p", "order-1", tokens.get("order-1")!, T0 + 6)).toBe("ok");
    expect(await store.get("p", "order-0")).toMatchObject({ status: "releasing", subscriptionId: "sub-0" });
    expect((await store.get("p", "order-1"))?.subscriptionId).toBeUndefined();
    const stats = await store.stats("p", T0);
    expect([stats.reserved, stats.bound]).toEqual([n / 2 - 1, n / 2 + 1]);
    // Swap pairs in (almost surely) different buckets; every entry keeps its own fields.
    const before = new Map((await store.entries("p")).map((e) => [e.orderKey, e]));
    for (let i = 0; i < n; i += 4) expect(await store.swap("p", `order-${i}`, `order-${i + 1}`)).toBe("ok");
    const after = new Map((await store.entries("p")).map((e) => [e.orderKey, e]));
    expect(after.size).toBe(n);
    for (let i = 0; i < n; i++) {
      const other = i % 4 === 0 ? i + 1 : i % 4 === 1 ? i - 1 : i;
      expect(after.get(`order-${i}`)).toEqual({ ...before.get(`order-${other}`), orderKey: `order-${i}` });
    }
    // The expiry index followed: the two releasing entries come first, under their new orderKeys.
    const due = await store.expired("p", T0 + 10, 10);
    expect(due.map((e) => [e.orderKey, e.untilMs])).toEqual([
      ["order-1", T0 + 5],
      ["order-0", T0 + 6],
    ]);
    expect(await store.swap("p", "order-0", "missing")).toBe("unknown");
    const s2 = await store.stats("p", T0);
    expect([s2.reserved, s2.bound]).toEqual([n / 2 - 1, n / 2 + 1]);
  });

  it("packs a pending previousB into the entry's B field only while a changeB is not settled", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(1));
    const r = await store.reserve(req({}));
    if (!r.ok) throw new Error(r.reason);
    const sub = { pool: "p", orderKey: "o1", token: r.entry.token, subscriptionId: "s1", nowMs: T0 };
    expect(await store.confirm({ ...sub, untilMs: T0 + 9_000 })).toBe("ok");
    const packed = () => redis.hget(store.keys("p").entryBucket(0), "o1");
    const before = (await packed())!;
    const [b, c] = ["+8613800000002", "+8613800000009"];
    expect(await store.changeB("p", "o1", r.entry.token, c)).toBe("ok");
    expect(await packed()).toBe(before.replace(`|${b}`, `|${c},${b}`));
    expect(await store.settleB("p", "o1", r.entry.token, c)).toBe("ok");
    // Settled: the same bytes as an entry that never had a pending B.
    expect(await packed()).toBe(before.replace(`|${b}`, `|${c}`));
  });

  it("brings cooled-down numbers back a bounded few per reserve", async () => {
    const store = fresh({ wakeLimit: 2 });
    await readyPool(store, "p", "AXB", xs(5, 1));
    for (const n of xs(5)) await store.cooldown("p", n.x, T0 + 10);
    const picked = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await store.reserve(
        req({ orderKey: `o${i}`, a: phone("+8613", i), b: phone("+8615", i), nowMs: T0 + 10 }),
      );
      if (!r.ok) throw new Error(r.reason);
      picked.add(r.entry.x);
    }
    expect(picked.size).toBe(5);
  });

  it("reads the cool set only once a cooldown is due", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(3));
    await store.cooldown("p", xs(1)[0]!.x, T0 + 50);
    const coolReads = async () =>
      Number(/cmdstat_zrangebyscore:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);
    const reserveAt = (i: number, nowMs: number) =>
      store.reserve(req({ orderKey: `w${i}`, a: phone("+8613", i), b: phone("+8615", i), nowMs }));
    await reserveAt(0, T0); // the first reserve of a pool looks once
    const before = await coolReads();
    for (let i = 1; i <= 5; i++) expect((await reserveAt(i, T0 + i)).ok).toBe(true);
    expect(await coolReads()).toBe(before);
    expect((await reserveAt(6, T0 + 50)).ok).toBe(true);
    expect(await coolReads()).toBe(before + 1);
    // The cooled X came back at its time and, least loaded, took the last reserve.
    expect((await store.numbers("p")).map((n) => n.load)).toEqual([1, 3, 3]);
  });

  it("uses at most 250 bytes of Redis memory per active binding", async () => {
    const bytes = await measureBytesPerBinding(redis, { prefix: `mem${++seq}`, bindings: 20_000 });
    console.log(`RedisStore memory: ${bytes.toFixed(1)} bytes per binding (20 000 bound AXB pairs)`);
    expect(bytes).toBeLessThanOrEqual(250);
  }, 60_000);

  it("refuses bad options with the bad value in the message", () => {
    expect(() => new RedisStore({ redis, prefix: "a{b}" })).toThrow(ValidationError);
    expect(() => new RedisStore({ redis, wakeLimit: 0 })).toThrow(/0/);
    expect(() => new RedisStore({ redis, maxBatch: 0 })).toThrow(/maxBatch.*0/);
    expect(() => new RedisStore({ redis, maxBatch: 2.5 })).toThrow(ValidationError);
  });

  it("refuses an orderKey that starts with U+0001 (its bucket keeps subscriptionIds under U+0001 + orderKey)", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(2));
    const r = await store.reserve(req({ orderKey: "o1" }));
    if (!r.ok) throw new Error(r.reason);
    const confirm = { pool: "p", orderKey: "o1", token: r.entry.token, subscriptionId: "sub-1", nowMs: T0 };
    expect(await store.confirm({ ...confirm, untilMs: T0 + 9_000 })).toBe("ok");
    const before = await redis
      .keys(`${store.keys("p").base}*`)
      .then(async (keys) => Promise.all(keys.sort().map(async (key) => [key, await redis.dump(key)])));
    await expect(store.get("p", "\u0001o1")).rejects.toThrow(ValidationError);
    await expect(store.reserve(req({ orderKey: "\u0001o2" }))).rejects.toThrow(/U\+0001/);
    await expect(store.release("p", "\u0001o1")).rejects.toThrow(ValidationError);
    await expect(store.swap("p", "o1", "\u0001o1")).rejects.toThrow(ValidationError);
    const after = await redis
      .keys(`${store.keys("p").base}*`)
      .then(async (keys) => Promise.all(keys.sort().map(async (key) => [key, await redis.dump(key)])));
    expect(after).toEqual(before);
    expect(await store.get("p", "o1")).toMatchObject({ status: "bound", subscriptionId: "sub-1" });
    // Core's own entries (a reassign's, a fenced binding's) start with U+0000: they are orderKeys like any.
    const own = "\u0000reassign:o1";
    const r2 = await store.reserve(req({ orderKey: own, a: "+8613800000003", b: "+8613800000004" }));
    if (!r2.ok) throw new Error(r2.reason);
    expect(
      await store.confirm({ ...confirm, orderKey: own, token: r2.entry.token, untilMs: T0 + 9_000 }),
    ).toBe("ok");
    expect(await store.get("p", own)).toMatchObject({ status: "bound", subscriptionId: "sub-1" });
    expect((await store.entries("p")).map((e) => e.orderKey).sort()).toEqual([own, "o1"]);
  });

  it("refuses a pool another key layout wrote, changing nothing", async () => {
    const store = fresh();
    await readyPool(store, "p", "AXB", xs(2));
    const r = await store.reserve(req({ orderKey: "o1" }));
    if (!r.ok) throw new Error(r.reason);
    const k = store.keys("p");
    const snapshot = async () =>
      Promise.all((await redis.keys(`${k.base}*`)).sort().map(async (key) => [key, await redis.dump(key)]));
    for (const older of [undefined, "1", "3"]) {
      if (older === undefined) await redis.hdel(k.meta, "lv");
      else await redis.hset(k.meta, "lv", older);
      const before = await snapshot();
      // Another instance on the same prefix, as after an upgrade in place.
      const again = new RedisStore({ redis, prefix: k.base.slice(0, k.base.indexOf(":{")) });
      const layout = new RegExp(`key layout ${older ?? 1}; .*layout 2.*new \`prefix\``);
      await expect(again.reserve(req({ orderKey: "o2", a: "+8613800000009" }))).rejects.toThrow(layout);
      await expect(again.stats("p", T0)).rejects.toThrow(StoreError);
      await expect(again.upsertPool("p", "AXB", xs(3))).rejects.toThrow(layout);
      expect(await snapshot()).toEqual(before);
    }
  });

  it("throws StoreError when Redis cannot be reached", async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on("error", () => {});
    const store = new RedisStore({ redis: down });
    await expect(store.reserve(req({}))).rejects.toBeInstanceOf(StoreError);
    await expect(store.numbers("p")).rejects.toBeInstanceOf(StoreError);
    down.disconnect();
  });
});
