import { Allocator, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, configFile } from "./harness.js";

// The CLI with a config that names only the Redis: the pools, their modes, numbers and cities come from
// the store the app instances (an Allocator in this process) wrote; no platform secret for commands
// that do not call the platform.

const app = { appKey: "pools-key", appSecret: "pools-secret" };
const user = (i: number) => `+86138${String(i).padStart(8, "0")}`;
const pools: PoolConfig[] = [
  {
    id: "rides",
    mode: "AXB",
    numbers: [
      { x: "+8617000001001", city: "0755", province: "GD" },
      { x: "+8617000001002", city: "0755", province: "GD" },
      { x: "+8617000001003", city: "010", province: "BJ" },
    ],
  },
  { id: "couriers", mode: "AX", numbers: [{ x: "+8617200001001", city: "021" }] },
];

let redis: RedisServer;
let sim: Simulator;
let store: RedisStore;
let allocator: Allocator;
let redisOnly: string;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({
    apps: [
      { ...app, mode: "AXB", numbers: pools[0]!.numbers.map((n) => ({ x: n.x })) },
      { appKey: "pools-ax", appSecret: "ax-secret", mode: "AX", numbers: [{ x: pools[1]!.numbers[0]!.x }] },
    ],
  });
  const client = redis.client();
  store = new RedisStore({ redis: client, prefix: "pools" });
  allocator = new Allocator({
    store,
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
    pools: [pools[0]!],
    lock: new RedisLock({ redis: client, prefix: "pools" }),
  });
  const ax = new Allocator({
    store,
    driver: new HuaweiDriver({ baseUrl: sim.url, appKey: "pools-ax", appSecret: "ax-secret" }),
    pools: [pools[1]!],
  });
  await ax.init();
  for (let i = 0; i < 3; i++) {
    await allocator.allocate({
      pool: "rides",
      orderKey: `o${i}`,
      a: user(i),
      b: user(50 + i),
      ttlSeconds: 600,
    });
  }
  redisOnly = configFile({ redis: { url: redis.url, prefix: "pools" } });
});
afterAll(async () => {
  await sim?.close();
  await redis?.stop();
});

async function json(args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const out = await cli([...args, "--json"], env);
  expect(out.stderr).toBe("");
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout);
}

describe("bindpool CLI without a copy of the pools", { timeout: 120_000 }, () => {
  it("finds every pool, its mode and its cities in the store, with no platform section or secret", async () => {
    const stats = (await json(["stats", "--config", redisOnly])) as { pool: string; mode: string }[];
    const rides = await allocator.utilisation("rides");
    expect(stats).toEqual([
      expect.objectContaining({ pool: "couriers", mode: "AX", numbers: 1 }),
      expect.objectContaining({ ...(await allocator.stats("rides")), cities: rides }),
    ]);
    expect(new Set(rides.map((c) => c.city))).toEqual(new Set(["0755", "010"]));

    const numbers = await json(["numbers", "--pool", "rides", "--config", redisOnly]);
    expect(numbers).toEqual((await store.numbers("rides")).map((n) => ({ pool: "rides", ...n })));
    const listed = (await json(["entries", "--config", redisOnly])) as { total: number };
    expect(listed.total).toBe(3);
    const order = (await json(["order", "o1", "--pool", "rides", "--config", redisOnly])) as { a: string };
    expect(order.a).toBe("+86****0001");
  });

  it("changes number states without the platform, on the X numbers the store holds", async () => {
    const x = pools[0]!.numbers[2]!.x;
    const drained = await cli(["drain", x, "--pool", "rides", "--config", redisOnly]);
    expect(drained).toMatchObject({ code: 0, stdout: `${x} in pool rides is draining\n` });
    expect((await store.numbers("rides")).find((n) => n.x === x)?.state).toBe("draining");
    expect((await cli(["activate", x, "--pool", "rides", "--config", redisOnly])).code).toBe(0);
    expect((await store.numbers("rides")).find((n) => n.x === x)?.state).toBe("active");
    // Several pools in the store: a one-pool command asks which.
    const which = await cli(["retire", x, "--config", redisOnly]);
    expect(which.code).toBe(2);
    expect(which.stderr).toContain("Name the pool with --pool (pools: couriers, rides)");
  });

  it("asks for the platform and its secret only for the commands that call the platform", async () => {
    const noPlatform = await cli(["reconcile", "--config", redisOnly]);
    expect(noPlatform.code).toBe(2);
    expect(noPlatform.stderr).toContain('reconcile talks to the platform: add a "platform" section');
    const withPlatform = configFile({
      redis: { url: redis.url, prefix: "pools" },
      pools: ["rides"],
      platform: { baseUrl: sim.url, appKey: app.appKey, appSecretEnv: "POOLS_SECRET" },
    });
    const noSecret = await cli(["callee", "o1", user(9), "--config", withPlatform]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("POOLS_SECRET");
    expect((await cli(["stats", "--config", withPlatform])).code).toBe(0);
    const report = (await json(["reconcile", "--config", withPlatform], { POOLS_SECRET: app.appSecret })) as {
      rides: { numbers: number; unboundOrphans: number };
    };
    expect(report).toEqual({ rides: expect.objectContaining({ numbers: 3, unboundOrphans: 0 }) });
    expect((await allocator.stats("rides")).bound).toBe(3);
  });

  it("narrows to the pools the config names, and refuses a copy that no longer matches the store", async () => {
    const one = (await json([
      "stats",
      "--config",
      configFile({ redis: { url: redis.url, prefix: "pools" }, pools: ["couriers"] }),
    ])) as {
      pool: string;
    }[];
    expect(one.map((p) => p.pool)).toEqual(["couriers"]);

    const stale = configFile({
      redis: { url: redis.url, prefix: "pools" },
      pools: [{ ...pools[0]!, numbers: [...pools[0]!.numbers, { x: "+8617000001999" }] }],
    });
    const refused = await cli(["stats", "--config", stale]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("+8617000001999");
    expect(refused.stderr).toContain("stale copy");
    const otherMode = configFile({
      redis: { url: redis.url, prefix: "pools" },
      pools: [{ ...pools[0]!, mode: "AX" }],
    });
    const mismatch = await cli(["stats", "--config", otherMode]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('Pool "rides" is AX in the config file but AXB in the store');

    const empty = await cli([
      "stats",
      "--config",
      configFile({ redis: { url: redis.url, prefix: "nothing" } }),
    ]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("BINDPOOL_UNKNOWN_POOL: No pools in the store at redis://127.0.0.1");
    expect(empty.stderr).toContain('with prefix "nothing"');
  });
});
