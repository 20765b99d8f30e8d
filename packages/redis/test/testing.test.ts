import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, RedisUnavailableError, startRedis } from "../src/testing.js";

const saved = { PATH: process.env.PATH, REDIS_URL: process.env.REDIS_URL };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function reachable(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  try {
    await c.connect();
    return (await c.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

describe("@bindpool/redis/testing", () => {
  it("starts a Redis on a free port and stops it", async () => {
    const server = await startRedis();
    expect(await reachable(server.url)).toBe(true);
    await server.client().set("k", "v");
    expect(await server.client().get("k")).toBe("v");
    await server.stop();
    // With REDIS_URL the server is yours: stop only closes the clients.
    expect(await reachable(server.url)).toBe(saved.REDIS_URL !== undefined);
  });

  it("keeps what was written over a restart with appendOnly, and loses it when asked to", async () => {
    if (process.env.REDIS_URL !== undefined) return; // restart is only for a server the harness started
    const server = await startRedis({ appendOnly: true });
    try {
      const c = server.client();
      c.on("error", () => {});
      await c.set("k", "v");
      await server.restart!(0);
      expect(await c.get("k")).toBe("v");
      await server.restart!(0, { loseData: true });
      expect(await c.get("k")).toBeNull();
    } finally {
      await server.stop();
    }
  });

  it("says how to get Redis when redis-server is not on PATH", async () => {
    delete process.env.REDIS_URL;
    process.env.PATH = "/nonexistent";
    const failure = await startRedis().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toMatch(
      /redis-server is not on PATH.*apt-get install -y redis-server/,
    );
  });

  it("says how to get Redis when REDIS_URL cannot be reached", async () => {
    process.env.REDIS_URL = `redis://127.0.0.1:${await freePort()}`;
    await expect(startRedis()).rejects.toThrow(/Cannot reach REDIS_URL=.*set REDIS_URL to a Redis you own/);
  });
});
