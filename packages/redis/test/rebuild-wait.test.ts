import {
  Allocator,
  BindpoolError,
  type BindRequest,
  type OrderLock,
  type Outcome,
  type PlatformDriver,
  type QueryRequest,
  type QueryResult,
} from "@bindpool/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLock, RedisStore } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

// Two instances on a real Redis start on a new pool: one rebuilds it under the pool's rebuild lock while
// the other waits. A rebuild slower than the lock's retry window must not fail the waiting instance.

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** A platform with no bindings whose X listings wait for `open` (the rebuild is slow). */
class SlowPlatform implements PlatformDriver {
  queries = 0;
  private release!: () => void;
  readonly open = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  letThrough(): void {
    this.release();
  }
  async bind(req: BindRequest): Promise<Outcome<{ subscriptionId: string; x: string }>> {
    return { kind: "ok", value: { subscriptionId: `s-${req.a}`, x: req.x } };
  }
  async unbind(): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }
  async modify(): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }
  async query(_req: QueryRequest): Promise<Outcome<QueryResult>> {
    this.queries++;
    await this.open;
    return { kind: "ok", value: { bindings: [], total: 0 } };
  }
}

/** The RedisLock, counting the times it found the lock held by someone else for its whole retry window. */
class CountingLock implements OrderLock {
  busy = 0;
  constructor(private readonly inner: RedisLock) {}
  async using<T>(key: string, ttlMs: number, fn: Parameters<OrderLock["using"]>[2]): Promise<T> {
    try {
      return (await this.inner.using(key, ttlMs, fn)) as T;
    } catch (error) {
      if (error instanceof BindpoolError && error.code === "BINDPOOL_LOCK_BUSY") this.busy++;
      throw error;
    }
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("a pool rebuild that outlasts the lock's retry window", () => {
  it("keeps the other instances waiting for it instead of failing them with LOCK_BUSY", async () => {
    const platform = new SlowPlatform();
    const make = () => {
      const redis = server.client();
      // Gives up on a held lock after ~30 ms: far less than the rebuild takes here.
      const lock = new CountingLock(
        new RedisLock({ redis, prefix: "rw", retryCount: 3, retryDelayMs: 10, retryJitterMs: 0 }),
      );
      const allocator = new Allocator({
        store: new RedisStore({ redis, prefix: "rw" }),
        driver: platform,
        pools: [{ id: "rides", mode: "AXB", numbers: [{ x: "+8617000000001" }] }],
        lock,
        backoffMs: 5,
        maxBackoffMs: 20,
      });
      return { allocator, lock };
    };
    const { allocator: first } = make();
    const { allocator: second, lock } = make();
    const firstReady = first.init();
    // The first instance holds the rebuild lock once its listing has started.
    while (platform.queries === 0) await tick();
    let outcome: "waiting" | "ready" | unknown = "waiting";
    const secondReady = second.init().then(
      () => (outcome = "ready"),
      (error) => (outcome = error),
    );
    // The second finds the rebuild lock held, more than once, and is still waiting for the rebuild.
    while (lock.busy < 2 && outcome === "waiting") await tick();
    expect(outcome).toBe("waiting");
    platform.letThrough();
    await Promise.all([firstReady, secondReady]);
    expect(outcome).toBe("ready");
    const binding = await second.allocate({
      pool: "rides",
      orderKey: "o1",
      a: "+8613800000001",
      b: "+8613900000001",
      ttlSeconds: 60,
    });
    expect(binding.x).toBe("+8617000000001");
  });
});
