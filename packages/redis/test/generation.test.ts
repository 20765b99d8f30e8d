import { type ReserveRequest, StoreLostError } from "@bindpool/core";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { type RedisServer, readyPool, startRedis } from "./harness.js";

const NUMBERS = [{ x: "+8619900000001", capacity: 1_000 }];
const req = (i: number, over: Partial<ReserveRequest> = {}): ReserveRequest => ({
  pool: "p",
  orderKey: `o${i}`,
  a: `+86138${String(i).padStart(8, "0")}`,
  b: `+86139${String(i).padStart(8, "0")}`,
  exclude: [],
  strategy: { name: "leastLoaded" },
  leaseMs: 60_000,
  nowMs: 1_000_000,
  ...over,
});

let server: RedisServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Restarts the harness' server (SIGKILL: nothing saved on the way down) and waits until `client` answers. */
async function restart(s: RedisServer, client: Redis): Promise<void> {
  if (s.restart === undefined) throw new Error("these tests need a redis-server the harness started");
  await s.restart();
  for (;;) {
    try {
      if ((await client.ping()) === "PONG") return;
    } catch {
      await new Promise((r) => setTimeout(r, 20)); // still reconnecting: poll again
    }
  }
}

/** A client whose connection errors while the server restarts are expected (commands still report theirs). */
function quiet(client: Redis): Redis {
  client.on("error", () => {});
  return client;
}

async function reserveToken(store: RedisStore, i: number): Promise<number> {
  const r = await store.reserve(req(i));
  if (!r.ok) throw new Error(`reserve answered ${r.reason}`);
  return r.entry.token;
}

describe("RedisStore across Redis restarts", () => {
  it("detects a restart without persistence as data loss, also in a batch of writes", async () => {
    server = await startRedis();
    const redis = quiet(server.client());
    const store = new RedisStore({ redis, prefix: "g1" });
    await readyPool(store, "p", "AXB", NUMBERS);
    await reserveToken(store, 1);
    await restart(server, redis);
    // Writes started together go as one batch call; the check in its prelude fails them all.
    const writes = await Promise.allSettled([1, 2, 3].map((i) => store.reserve(req(10 + i))));
    for (const w of writes) {
      expect(w.status).toBe("rejected");
      expect((w as PromiseRejectedResult).reason).toBeInstanceOf(StoreLostError);
      expect((w as PromiseRejectedResult).reason).toMatchObject({ reason: "missing", pool: "p" });
    }
    const g = await store.upsertPool("p", "AXB", NUMBERS);
    expect(g.recovering).toBe(true);
    expect(await store.reserve(req(20))).toEqual({ ok: false, reason: "recovering" });
  });

  it("detects a rollback to an older RDB snapshot in the object that saw a newer token", async () => {
    server = await startRedis();
    const redis = quiet(server.client());
    const saw = new RedisStore({ redis, prefix: "g2" });
    const { generation } = await saw.upsertPool("p", "AXB", NUMBERS);
    await saw.finishRecovery("p", generation);
    await reserveToken(saw, 1);
    await redis.call("SAVE"); // the snapshot the server comes back with
    const lostToken = await reserveToken(saw, 2);
    await restart(server, redis);

    await expect(saw.get("p", "o1")).rejects.toMatchObject({
      code: "BINDPOOL_STORE_LOST",
      reason: "rollback",
    });
    await expect(saw.poolGeneration("p")).rejects.toMatchObject({ reason: "rollback" });
    await expect(saw.upsertPool("p", "AXB", NUMBERS)).rejects.toMatchObject({ reason: "rollback" });
    // An object that never saw the lost token cannot tell: the state looks whole to it.
    const blind = new RedisStore({ redis: quiet(server.client()), prefix: "g2" });
    expect(await blind.poolGeneration("p")).toEqual({ generation, recovering: false });

    const rebuilt = await saw.upsertPool("p", "AXB", NUMBERS, { rebuild: true });
    expect(rebuilt).toEqual({ generation: expect.any(String), recovering: true });
    expect(rebuilt.generation).not.toBe(generation);
    await expect(blind.get("p", "o1")).rejects.toMatchObject({ reason: "generation" });
    // The fencing counter never goes back: the next token is above the one the rollback lost.
    const adopted = await saw.reserve(req(2, { x: NUMBERS[0]!.x }));
    expect(adopted.ok && adopted.entry.token).toBeGreaterThan(lostToken);
  });
});
