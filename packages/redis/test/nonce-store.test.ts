import { StoreError, ValidationError } from "@bindpool/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisNonceStore } from "../src/index.js";
import {
  freePort,
  type RedisClusterServer,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from "./harness.js";

let server: RedisServer;
let cluster: RedisClusterServer;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

const WINDOW_MS = 900_000;

/** Polls `probe` until it holds (Redis expires keys on its own clock). */
async function eventually(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("RedisNonceStore", () => {
  it("accepts a nonce once across instances, holds it for the rest of the window, then lets it go", async () => {
    const one = new RedisNonceStore({ redis: server.client(), prefix: "n1" });
    const two = new RedisNonceStore({ redis: server.client(), prefix: "n1" });
    const now = Date.now();
    expect(await one.remember("abc123", now + WINDOW_MS, now)).toBe(true);
    expect(await two.remember("abc123", now + WINDOW_MS, now)).toBe(false);
    expect(await one.remember("abc123", now + WINDOW_MS, now)).toBe(false);
    const admin = server.client();
    expect(await admin.get("n1:nonce:{abc123}")).toBe("1");
    const pttl = await admin.pttl("n1:nonce:{abc123}");
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(WINDOW_MS);

    // A push whose Created is almost out of the window is held only for what is left of it.
    expect(await one.remember("short", now + 50, now)).toBe(true);
    await eventually(async () => (await admin.exists("n1:nonce:{short}")) === 0);
    expect(await two.remember("short", Date.now() + WINDOW_MS, Date.now())).toBe(true);
  });

  it("gives exactly one of many concurrent instances the nonce", async () => {
    const stores = Array.from(
      { length: 8 },
      () => new RedisNonceStore({ redis: server.client(), prefix: "n2" }),
    );
    const now = Date.now();
    const answers = await Promise.all(stores.map((s) => s.remember("race", now + WINDOW_MS, now)));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it("forgets a nonce so a retry of a failed push is taken", async () => {
    const store = new RedisNonceStore({ redis: server.client(), prefix: "n3" });
    const now = Date.now();
    expect(await store.remember("retry", now + WINDOW_MS, now)).toBe(true);
    await store.forget("retry");
    expect(await store.remember("retry", now + WINDOW_MS, now)).toBe(true);
  });

  it("holds a nonce until a new end whether or not it is held", async () => {
    const store = new RedisNonceStore({ redis: server.client(), prefix: "n5" });
    const admin = server.client();
    const now = Date.now();
    expect(await store.remember("held", now + 1_000, now)).toBe(true);
    await store.hold("held", now + WINDOW_MS, now);
    expect(await admin.pttl("n5:nonce:{held}")).toBeGreaterThan(1_000);
    await store.hold("fresh", now + WINDOW_MS, now);
    expect(await store.remember("fresh", now + WINDOW_MS, now)).toBe(false);
  });

  it("keeps prefixes apart", async () => {
    const a = new RedisNonceStore({ redis: server.client(), prefix: "appA" });
    const b = new RedisNonceStore({ redis: server.client(), prefix: "appB" });
    const now = Date.now();
    expect(await a.remember("same", now + WINDOW_MS, now)).toBe(true);
    expect(await b.remember("same", now + WINDOW_MS, now)).toBe(true);
  });

  it("works on a Redis Cluster, nonces spread over the shards", async () => {
    const redis = cluster.client();
    const one = new RedisNonceStore({ redis });
    const two = new RedisNonceStore({ redis: cluster.client() });
    const now = Date.now();
    const nonces = Array.from({ length: 24 }, (_, i) => `c${i}x${now}`);
    for (const nonce of nonces) {
      expect(await one.remember(nonce, now + WINDOW_MS, now)).toBe(true);
      expect(await two.remember(nonce, now + WINDOW_MS, now)).toBe(false);
    }
    const perShard = await Promise.all(redis.nodes("master").map((n) => n.dbsize()));
    expect(perShard.filter((keys) => keys > 0).length).toBeGreaterThan(1);
  });

  it("rejects with a StoreError when Redis cannot answer, never with a yes", async () => {
    const down = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const store = new RedisNonceStore({ redis: down });
    const now = Date.now();
    await expect(store.remember("n", now + WINDOW_MS, now)).rejects.toBeInstanceOf(StoreError);
    await expect(store.hold("n", now + WINDOW_MS, now)).rejects.toBeInstanceOf(StoreError);
    await expect(store.forget("n")).rejects.toBeInstanceOf(StoreError);
    down.disconnect();
  });

  it("refuses options that are not a client and a prefix", () => {
    expect(() => new RedisNonceStore({ redis: "redis://127.0.0.1" as never })).toThrow(ValidationError);
    expect(() => new RedisNonceStore({ redis: server.client(), prefix: "" })).toThrow(ValidationError);
  });
});
