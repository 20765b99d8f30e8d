import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const A = "+8613800000001";
const B = "+8613800000002";
const T0 = 1_000_000;
const xs = (n: number, capacity = 5000) =>
  Array.from({ length: n }, (_, i) => ({ x: `+8619900000${String(i).padStart(3, "0")}`, capacity }));
let seq = 0;
const fresh = () => new RedisStore({ redis: server.client(), prefix: `t${++seq}` });

describe("RedisStore", () => {
  it("reserves, confirms and releases through Lua scripts", async () => {
    const store = fresh();
    await store.upsertPool("p", "AXB", xs(2));
    const r = await store.reserve({
      pool: "p",
      orderKey: "o1",
      a: A,
      b: B,
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 1000,
      nowMs: T0,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.entry).toMatchObject({
      pool: "p",
      orderKey: "o1",
      a: A,
      b: B,
      status: "reserved",
      untilMs: T0 + 1000,
    });
    expect(
      await store.confirm({
        pool: "p",
        orderKey: "o1",
        token: r.entry.token,
        subscriptionId: "s1",
        untilMs: T0 + 60_000,
        nowMs: T0 + 1,
      }),
    ).toBe("ok");
    expect(await store.get("p", "o1")).toMatchObject({
      status: "bound",
      subscriptionId: "s1",
      untilMs: T0 + 60_000,
    });
    expect(await store.release("p", "o1", r.entry.token)).toBe("released");
    expect(await store.get("p", "o1")).toBeUndefined();
  });
});
