import { StoreError } from "@bindpool/core";
import { RedisNonceStore } from "@bindpool/redis";
import { freePort, type RedisServer, startRedis } from "@bindpool/redis/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNotificationHandler,
  type NonceStore,
  type NotificationError,
  type NotificationEvent,
  type NotificationHandlerOptions,
} from "../src/index.js";
import { pushHeaders } from "./harness.js";

const appKey = "push-key";
const appSecret = "push-secret";
const body = JSON.stringify({
  eventType: "callin",
  statusInfo: { sessionId: "s-1", timestamp: "2024-05-01 08:00:00", subscriptionId: "sub-1" },
});

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

/** One instance of the app: its own handler object and its own Redis connection. */
function instance(nonceStore: NonceStore | undefined, extra: Partial<NotificationHandlerOptions> = {}) {
  const events: NotificationEvent[] = [];
  const errors: NotificationError[] = [];
  const handler = createNotificationHandler({
    appKey,
    appSecret,
    onEvent: (e) => void events.push(e),
    onError: (e) => errors.push(e),
    ...(nonceStore === undefined ? {} : { nonceStore }),
    ...extra,
  });
  return { handler, events, errors };
}

async function until(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("replay protection shared between instances", () => {
  it("accepts a replay on a second instance when each remembers nonces in its own memory", async () => {
    const one = instance(undefined);
    const two = instance(undefined);
    const headers = pushHeaders(appKey, appSecret);
    expect((await one.handler.handle({ headers, body })).status).toBe(200);
    expect((await two.handler.handle({ headers, body })).status).toBe(200); // why a shared store is needed
  });

  it("refuses a push replayed to a second instance on the same Redis with BINDPOOL_NOTIFY_REPLAYED", async () => {
    const one = instance(new RedisNonceStore({ redis: server.client(), prefix: "r1" }));
    const two = instance(new RedisNonceStore({ redis: server.client(), prefix: "r1" }));
    const headers = pushHeaders(appKey, appSecret);
    expect(await one.handler.handle({ headers, body })).toMatchObject({ status: 200 });
    const replay = await two.handler.handle({ headers, body });
    expect(replay).toMatchObject({ status: 401, error: { code: "BINDPOOL_NOTIFY_REPLAYED" } });
    expect(one.events).toHaveLength(1);
    expect(two.events).toEqual([]);
    expect(two.errors.map((e) => e.code)).toEqual(["BINDPOOL_NOTIFY_REPLAYED"]);
  });

  it("lets the nonce go when its Created leaves the window", async () => {
    // Both instances' clocks stand still at Created, so only the Redis key's expiry can let it in again.
    const createdMs = Math.floor(Date.now() / 1000) * 1000;
    const clock = { now: () => createdMs, createdWindowSeconds: 1 };
    const one = instance(new RedisNonceStore({ redis: server.client(), prefix: "r2" }), clock);
    const two = instance(new RedisNonceStore({ redis: server.client(), prefix: "r2" }), clock);
    const headers = pushHeaders(appKey, appSecret, { nonce: "expiring", createdMs });
    expect((await one.handler.handle({ headers, body })).status).toBe(200);
    expect((await two.handler.handle({ headers, body })).error?.code).toBe("BINDPOOL_NOTIFY_REPLAYED");
    const admin = server.client();
    const pttl = await admin.pttl("r2:nonce:{expiring}");
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    await until(async () => (await admin.exists("r2:nonce:{expiring}")) === 0);
    expect((await two.handler.handle({ headers, body })).status).toBe(200);
  });

  it("holds a handled push's nonce for the rest of the window, not only while handling", async () => {
    const one = instance(new RedisNonceStore({ redis: server.client(), prefix: "r4" }), {
      handlingHoldSeconds: 1,
    });
    const headers = pushHeaders(appKey, appSecret, { nonce: "handled" });
    expect((await one.handler.handle({ headers, body })).status).toBe(200);
    const pttl = await server.client().pttl("r4:nonce:{handled}");
    expect(pttl).toBeGreaterThan(800_000); // the 900 s window, less the time since Created
  });

  it("takes the platform's retry on another instance once one died while handling the push", async () => {
    let started!: () => void;
    const handling = new Promise<void>((resolve) => {
      started = resolve;
    });
    // onEvent never settles: the instance is as good as dead (no answer, no forget).
    const dying = instance(new RedisNonceStore({ redis: server.client(), prefix: "r5" }), {
      handlingHoldSeconds: 0.2,
      onEvent: () => {
        started();
        return new Promise<void>(() => {});
      },
    });
    const two = instance(new RedisNonceStore({ redis: server.client(), prefix: "r5" }));
    const headers = pushHeaders(appKey, appSecret, { nonce: "orphaned" });
    void dying.handler.handle({ headers, body });
    await handling;
    expect((await two.handler.handle({ headers, body })).error?.code).toBe("BINDPOOL_NOTIFY_REPLAYED");
    const admin = server.client();
    await until(async () => (await admin.exists("r5:nonce:{orphaned}")) === 0);
    expect((await two.handler.handle({ headers, body })).status).toBe(200);
    expect(two.events).toHaveLength(1);
  });

  it("takes the platform's retry on another instance after onEvent failed on the first", async () => {
    const one = instance(new RedisNonceStore({ redis: server.client(), prefix: "r3" }), {
      onEvent: () => {
        throw new Error("database down");
      },
    });
    const two = instance(new RedisNonceStore({ redis: server.client(), prefix: "r3" }));
    const headers = pushHeaders(appKey, appSecret);
    expect((await one.handler.handle({ headers, body })).status).toBe(500);
    expect((await two.handler.handle({ headers, body })).status).toBe(200);
    expect(two.events).toHaveLength(1);
  });

  it("refuses a push with 503 when the nonce store cannot answer (fails closed)", async () => {
    const down = new Redis({
      port: await freePort(),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const app = instance(new RedisNonceStore({ redis: down }));
    const result = await app.handler.handle({ headers: pushHeaders(appKey, appSecret), body });
    expect(result).toMatchObject({ status: 503, error: { code: "BINDPOOL_NOTIFY_NONCE_STORE_FAILED" } });
    expect(result.error?.cause).toBeInstanceOf(StoreError);
    expect(app.events).toEqual([]);
    down.disconnect();
  });

  it("refuses a push when a custom store answers something other than a boolean", async () => {
    const odd: NonceStore = {
      remember: async () => "OK" as never,
      hold: async () => {},
      forget: async () => {},
    };
    const app = instance(odd);
    const result = await app.handler.handle({ headers: pushHeaders(appKey, appSecret), body });
    expect(result).toMatchObject({ status: 503, error: { code: "BINDPOOL_NOTIFY_NONCE_STORE_FAILED" } });
    expect(app.events).toEqual([]);
  });

  it("counts a nonce that could not be forgotten after onEvent failed", async () => {
    const sticky: NonceStore = {
      remember: async () => true,
      hold: async () => {},
      forget: async () => {
        throw new Error("store gone");
      },
    };
    const app = instance(sticky, {
      onEvent: () => {
        throw new Error("database down");
      },
    });
    const result = await app.handler.handle({ headers: pushHeaders(appKey, appSecret), body });
    expect(result).toMatchObject({ status: 500, error: { code: "BINDPOOL_NOTIFY_LISTENER_FAILED" } });
    expect(app.handler.stats().byCode).toEqual({
      BINDPOOL_NOTIFY_NONCE_STORE_FAILED: 1,
      BINDPOOL_NOTIFY_LISTENER_FAILED: 1,
    });
  });

  it("refuses a nonceStore that is not one, and a hold that is not a positive time", () => {
    expect(() => instance({} as never)).toThrow(/nonceStore/);
    expect(() => instance(undefined, { handlingHoldSeconds: 0 })).toThrow(/handlingHoldSeconds/);
    expect(() => instance(undefined, { handlingHoldSeconds: Number.NaN })).toThrow(/handlingHoldSeconds/);
  });
});
