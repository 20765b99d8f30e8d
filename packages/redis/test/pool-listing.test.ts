import type { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import {
  type RedisClusterServer,
  type RedisServer,
  readyPool,
  startRedis,
  startRedisCluster,
} from "./harness.js";

// Operator tools (the CLI) take the pools from the store the app instances wrote, not from a copy.

let server: RedisServer;
let cluster: RedisClusterServer;
let redis: Redis;
let onCluster: Cluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  redis = server.client();
  onCluster = cluster.client();
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

describe("RedisStore.poolIds and readPool", { timeout: 60_000 }, () => {
  it("lists the pools of its prefix only, and reads each back as it was written", async () => {
    const store = new RedisStore({ redis, prefix: "list" });
    await readyPool(store, "rides", "AXB", [
      { x: "+8617000000001", city: "0755", province: "GD", capacity: 100 },
      { x: "+8617000000002", capacity: 5000 },
    ]);
    await readyPool(store, "food", "AXE", [{ x: "+8617300000001", capacity: 999, extensionDigits: 3 }]);
    // Another deployment's pools, and a prefix that only starts like this one.
    await readyPool(new RedisStore({ redis, prefix: "other" }), "x", "AXB", [
      { x: "+8617000000009", capacity: 1 },
    ]);
    await readyPool(new RedisStore({ redis, prefix: "list2" }), "y", "AXB", [
      { x: "+8617000000008", capacity: 1 },
    ]);

    expect(await store.poolIds()).toEqual(["food", "rides"]);
    const rides = await store.readPool("rides");
    expect(rides?.mode).toBe("AXB");
    expect(rides?.numbers.sort((a, b) => a.x.localeCompare(b.x))).toEqual([
      { x: "+8617000000001", city: "0755", province: "GD", capacity: 100, extensionDigits: undefined },
      {
        x: "+8617000000002",
        city: undefined,
        province: undefined,
        capacity: 5000,
        extensionDigits: undefined,
      },
    ]);
    expect(await store.readPool("food")).toEqual({
      mode: "AXE",
      numbers: [
        { x: "+8617300000001", city: undefined, province: undefined, capacity: 999, extensionDigits: 3 },
      ],
    });
    expect(await store.readPool("nowhere")).toBeUndefined();
    expect(await new RedisStore({ redis, prefix: "empty" }).poolIds()).toEqual([]);
  });

  it("escapes glob characters of the prefix", async () => {
    const store = new RedisStore({ redis, prefix: "g*" });
    await readyPool(store, "p", "AXB", [{ x: "+8617000000007", capacity: 1 }]);
    await readyPool(new RedisStore({ redis, prefix: "gx" }), "q", "AXB", [
      { x: "+8617000000006", capacity: 1 },
    ]);
    expect(await store.poolIds()).toEqual(["p"]);
  });

  it("finds pools on every master of a Cluster", async () => {
    const store = new RedisStore({ redis: onCluster, prefix: "list" });
    const ids = Array.from({ length: 12 }, (_, i) => `pool-${String(i).padStart(2, "0")}`);
    for (const id of ids) await readyPool(store, id, "AXB", [{ x: "+8619900000001", capacity: 10 }]);
    // The pools sit on more than one master, so a SCAN of one node would miss some.
    const sizes = await Promise.all(onCluster.nodes("master").map((n) => n.dbsize()));
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await store.poolIds()).toEqual(ids);
  });
});
