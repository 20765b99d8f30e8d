import { type NumberState, StoreError } from "@bindpool/core";
import { invariantViolations } from "@bindpool/store-tests";
import fc from "fast-check";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { type RedisServer, readyPool, startRedis } from "./harness.js";

// Writes started in one event-loop turn share one script call (`maxBatch`). These tests check that a
// batch answers and leaves exactly what the same writes one after another would.

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
const X = (i: number) => `+86199${String(i).padStart(8, "0")}`;
const USER = (i: number) => `+86138${String(i).padStart(8, "0")}`;
let seq = 0;

type Write =
  | { op: "reserve"; order: number; a: number; b: number }
  | { op: "confirm"; order: number; token: number }
  | { op: "release"; order: number }
  | { op: "extend"; order: number; token: number }
  | { op: "cooldown"; x: number }
  | { op: "state"; x: number; state: NumberState };

const NUMBERS = 4;
const write: fc.Arbitrary<Write> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("reserve" as const),
      order: fc.nat(5),
      a: fc.nat(4),
      b: fc.nat(4),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("confirm" as const),
      order: fc.nat(5),
      token: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), order: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("extend" as const),
      order: fc.nat(5),
      token: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cooldown" as const), x: fc.nat(NUMBERS - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("state" as const),
      x: fc.nat(NUMBERS - 1),
      state: fc.constantFrom<NumberState>("active", "draining", "quarantined"),
    }),
  },
);

/** Starts one write; the answer in a form two stores can be compared by. */
function start(store: RedisStore, w: Write): Promise<unknown> {
  const orderKey = `o${"order" in w ? w.order : 0}`;
  switch (w.op) {
    case "reserve":
      return store.reserve({
        pool: "p",
        orderKey,
        a: USER(w.a),
        b: USER(w.a === w.b ? w.b + 5 : w.b),
        exclude: [],
        strategy: { name: "leastLoaded" },
        leaseMs: 60_000,
        nowMs: T0,
      });
    case "confirm":
      return store.confirm({
        pool: "p",
        orderKey,
        token: w.token,
        subscriptionId: `sub-${orderKey}-${w.token}`,
        untilMs: T0 + 3_600_000,
        nowMs: T0,
      });
    case "release":
      return store.release("p", orderKey);
    case "extend":
      return store.extend("p", orderKey, w.token, T0 + 7_200_000);
    case "cooldown":
      return store.cooldown("p", X(w.x), T0 + 30_000).then(() => "done");
    case "state":
      return store.setNumberState("p", X(w.x), w.state).then(() => "done");
  }
}

async function snapshot(store: RedisStore) {
  const byKey = (a: { orderKey: string }, b: { orderKey: string }) => a.orderKey.localeCompare(b.orderKey);
  return {
    entries: (await store.entries("p")).sort(byKey),
    numbers: (await store.numbers("p")).sort((a, b) => a.x.localeCompare(b.x)),
    stats: await store.stats("p", T0),
    expired: await store.expired("p", T0 + 10_000_000, 100),
  };
}

async function fcalls(): Promise<number> {
  const info = await redis.info("commandstats");
  return Number(/cmdstat_fcall:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe("RedisStore batches", () => {
  it("answers and leaves what the same writes one after another would", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 2, maxLength: 32 }), async (writes) => {
        const numbers = Array.from({ length: NUMBERS }, (_, i) => ({ x: X(i), capacity: 2 }));
        const batched = new RedisStore({ redis, prefix: `b${++seq}`, maxBatch: 32 });
        const alone = new RedisStore({ redis, prefix: `s${seq}`, maxBatch: 1 });
        await readyPool(batched, "p", "AXB", numbers);
        await readyPool(alone, "p", "AXB", numbers);

        const before = await fcalls();
        const together = await Promise.all(writes.map((w) => start(batched, w)));
        const calls = (await fcalls()) - before;
        const oneByOne: unknown[] = [];
        for (const w of writes) oneByOne.push(await start(alone, w));

        expect(calls).toBe(1); // all of them in one script call
        expect(together).toEqual(oneByOne);
        expect(await snapshot(batched)).toEqual(await snapshot(alone));
        expect(await invariantViolations(batched, "p")).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it("splits a turn's writes into calls of at most maxBatch", async () => {
    const store = new RedisStore({ redis, prefix: `b${++seq}`, maxBatch: 4 });
    await readyPool(store, "p", "AXB", [{ x: X(0), capacity: 100 }]);
    const before = await fcalls();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => start(store, { op: "reserve", order: i, a: 2 * i, b: 2 * i + 1 })),
    );
    expect(results.every((r) => (r as { ok: boolean }).ok)).toBe(true);
    expect((await fcalls()) - before).toBe(3);
  });

  it("fails only the write that failed; the others in its call keep their answers and counters", async () => {
    const store = new RedisStore({ redis, prefix: `b${++seq}`, maxBatch: 32 });
    await readyPool(store, "p", "AXB", [
      { x: X(0), capacity: 5 },
      { x: X(1), capacity: 5 },
    ]);
    const first = await start(store, { op: "reserve", order: 1, a: 1, b: 2 });
    if (!(first as { ok: boolean }).ok) throw new Error("setup: the first reserve failed");
    const token = (first as { entry: { token: number } }).entry.token;
    // Break the pool's load index: every write that touches it now fails inside Redis (WRONGTYPE).
    const index = store.keys("p").index;
    await redis.del(index);
    await redis.set(index, "not a sorted set");

    const before = await fcalls();
    const [confirmed, reserved, extended] = await Promise.allSettled([
      start(store, { op: "confirm", order: 1, token }),
      start(store, { op: "reserve", order: 2, a: 3, b: 4 }),
      start(store, { op: "extend", order: 1, token }),
    ]);
    expect((await fcalls()) - before).toBe(1);
    expect(confirmed).toEqual({ status: "fulfilled", value: "ok" });
    expect(extended).toEqual({ status: "fulfilled", value: "ok" });
    expect(reserved.status).toBe("rejected");
    const reason = (reserved as PromiseRejectedResult).reason as StoreError;
    expect(reason).toBeInstanceOf(StoreError);
    expect(reason.message).toMatch(/reserve.*WRONGTYPE/);
    // The confirm's counter change was written although a later write in its call failed.
    expect(await store.stats("p", T0)).toMatchObject({ reserved: 0, bound: 1 });
    expect(await store.get("p", "o1")).toMatchObject({ status: "bound", untilMs: T0 + 7_200_000 });
  });

  it("sends a lone write as its own call", async () => {
    const store = new RedisStore({ redis, prefix: `b${++seq}` });
    await readyPool(store, "p", "AXB", [{ x: X(0), capacity: 5 }]);
    const before = await fcalls();
    const r = await start(store, { op: "reserve", order: 1, a: 1, b: 2 });
    expect((r as { ok: boolean }).ok).toBe(true);
    expect((await fcalls()) - before).toBe(1);
  });
});
