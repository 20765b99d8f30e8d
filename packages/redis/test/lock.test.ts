import { StoreError } from "@bindpool/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockBusyError, lockKey, RedisLock } from "../src/index.js";
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
    expect(err).toMatchObject({ code: "BINDPOOL_LOCK_BUSY", key: "k" });
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

  it("returns the work's result when the release fails because the lock ended meanwhile", async () => {
    const admin = server.client();
    const errors: StoreError[] = [];
    const lock = new RedisLock({ redis: server.client(), prefix: "t7", onError: (e) => errors.push(e) });
    const result = await lock.using("k", 1_000, async () => {
      await admin.del(lockKey("t7", "k")); // as if it expired while Redis was paused
      return "bound";
    });
    expect(result).toBe("bound");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StoreError);
    expect(lock.failedAfterWork).toBe(1);
  });

  it("returns the work's result, or rethrows its own error, when the connection is gone at release", async () => {
    for (const outcome of ["result", "error"] as const) {
      const client = server.client();
      client.on("error", () => {});
      const lock = new RedisLock({ redis: client, prefix: "t8" });
      const call = lock.using(`k-${outcome}`, 1_000, async () => {
        client.disconnect(); // the holder's connection dies while it works
        if (outcome === "error") throw new Error("the work's own failure");
        return "bound";
      });
      if (outcome === "result") expect(await call).toBe("bound");
      else await expect(call).rejects.toThrow("the work's own failure");
      expect(lock.failedAfterWork).toBe(1);
    }
  });

  it("frees a vanished holder's lock at its TTL and tells waiters when to retry", async () => {
    const ttlMs = 3_000;
    const client = server.client();
    client.on("error", () => {});
    const holder = new RedisLock({ redis: client, prefix: "t9" });
    // The holder takes the lock, then its process is gone: no release ever reaches Redis.
    await holder.using("order", ttlMs, async () => {
      client.disconnect();
    });
    const waiter = new RedisLock({ redis: server.client(), prefix: "t9", retryCount: 0 });
    let busy: LockBusyError | undefined;
    for (;;) {
      const got = await waiter.using("order", ttlMs, async () => "mine").catch((e: unknown) => e);
      if (got === "mine") break;
      expect(got).toBeInstanceOf(LockBusyError);
      busy = got as LockBusyError;
      await sleep(50); // poll the lock's state
    }
    expect(busy).toMatchObject({ code: "BINDPOOL_LOCK_BUSY", retryAfterMs: ttlMs });
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
