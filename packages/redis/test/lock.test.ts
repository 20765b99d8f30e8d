import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockBusyError, RedisLock } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes `key` with `take` and keeps it until `release()`; `held` resolves once the work runs, so a test
 * never races a slow first connection (a fixed sleep did, under a loaded CI machine).
 */
function hold<T>(take: (fn: () => Promise<void>) => Promise<T>) {
  let release!: () => void;
  let started!: () => void;
  const held = new Promise<void>((r) => (started = r));
  const done = take(() => {
    started();
    return new Promise<void>((r) => (release = r));
  });
  return { held, done, release: () => release() };
}

describe("RedisLock", () => {
  it("serialises work on one key across instances", async () => {
    // Three "instances", each with its own connection.
    const locks = [0, 1, 2].map(
      () => new RedisLock({ redis: server.client(), prefix: "t1", retryDelayMs: 10 }),
    );
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        locks[i % 3]!.using("order:p:o1", 1_000, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order).toHaveLength(9);
  });

  it("lets work on different keys run at once", async () => {
    const lock = new RedisLock({ redis: server.client(), prefix: "t2" });
    // Each holder waits (up to 5 s) until all three are inside: serialised locks would never get there.
    let inside = 0;
    let most = 0;
    await Promise.all(
      ["o1", "o2", "o3"].map((k) =>
        lock.using(k, 10_000, async () => {
          inside++;
          most = Math.max(most, inside);
          for (let i = 0; i < 500 && most < 3; i++) await sleep(10);
          inside--;
        }),
      ),
    );
    expect(most).toBe(3);
  });

  it("throws LockBusyError when the holder keeps the lock past the retry window", async () => {
    const holder = new RedisLock({ redis: server.client(), prefix: "t3" });
    const waiter = new RedisLock({ redis: server.client(), prefix: "t3", retryCount: 2, retryDelayMs: 10 });
    const h = hold((fn) => holder.using("k", 1_000, fn));
    await h.held;
    const err = await waiter.using("k", 1_000, async () => "ran").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);
    expect(err).toMatchObject({ code: "BINDPOOL_ORDER_PENDING", key: "k" });
    h.release();
    await h.done;
    expect(await waiter.using("k", 1_000, async () => "ran")).toBe("ran");
  });

  it("extends the lock while the work outlives its ttl", async () => {
    const a = new RedisLock({ redis: server.client(), prefix: "t4" });
    const b = new RedisLock({ redis: server.client(), prefix: "t4", retryCount: 0 });
    const h = hold((fn) => a.using("k", 300, fn));
    await h.held;
    await sleep(700);
    await expect(b.using("k", 300, async () => "ran")).rejects.toBeInstanceOf(LockBusyError);
    h.release();
    await h.done;
  });

  it("elects one leader for a cluster-wide job", async () => {
    const instances = [0, 1, 2, 3].map(() => new RedisLock({ redis: server.client(), prefix: "t5" }));
    const h = hold((fn) =>
      instances[0]!.elect("sweeper", 1_000, async () => {
        await fn();
        return "swept";
      }),
    );
    await h.held;
    const others = await Promise.all(
      instances.slice(1).map((l) => l.elect("sweeper", 1_000, async () => "swept")),
    );
    expect(others).toEqual([{ leader: false }, { leader: false }, { leader: false }]);
    h.release();
    expect(await h.done).toEqual({ leader: true, result: "swept" });
    expect(await instances[1]!.elect("sweeper", 1_000, async () => 1)).toEqual({ leader: true, result: 1 });
  });

  it("passes errors of the work through", async () => {
    const lock = new RedisLock({ redis: server.client(), prefix: "t6" });
    await expect(
      lock.using("k", 1_000, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await lock.using("k", 1_000, async () => "again")).toBe("again");
  });
});
