import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Allocator, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type RedisServer, startRedis, startRedisCluster, startRedisSentinel } from "@bindpool/redis/testing";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli as runCli } from "./harness.js";

// The real CLI process against a real Redis and the simulator over HTTP; the "app" is an Allocator in
// this process on the same Redis, as one of the user's instances would be.

const app = { appKey: "cli-key", appSecret: "cli-secret" };
const xs = (pool: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    x: `+861700000${pool}${String(i).padStart(3, "0")}`,
    city: "0755",
  }));
const user = (i: number) => `+86138${String(i).padStart(8, "0")}`;
const pools: PoolConfig[] = [
  { id: "rides", mode: "AXB", numbers: xs(1, 4) },
  { id: "food", mode: "AXB", numbers: xs(2, 2) },
];

let redis: RedisServer;
let sim: Simulator;
let allocator: Allocator;
let store: RedisStore;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({
    apps: [{ ...app, mode: "AXB", numbers: pools.flatMap((p) => p.numbers.map((n) => ({ x: n.x }))) }],
  });
  const client = redis.client();
  store = new RedisStore({ redis: client, prefix: "ops" });
  allocator = new Allocator({
    store,
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
    pools,
    lock: new RedisLock({ redis: client, prefix: "ops" }),
    unbindRetryMs: 1, // a queued unbind is due at once: the CLI's sweep retries it
  });
  dir = mkdtempSync(join(tmpdir(), "bindpool-cli-"));
});
afterAll(async () => {
  await sim?.close();
  await redis?.stop();
});

function config(extra: Record<string, unknown> = {}): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const platform = { baseUrl: sim.url, appKey: app.appKey, appSecretEnv: "TEST_PN_SECRET" };
  writeFileSync(
    file,
    JSON.stringify({ redis: { url: redis.url, prefix: "ops" }, pools, platform, ...extra }),
  );
  return file;
}

/** `bindpool` in its own process, with the platform secret the configs name. */
function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { TEST_PN_SECRET: app.appSecret, ...env });
}

async function json(args: string[]): Promise<unknown> {
  const out = await cli([...args, "--json"]);
  expect(out.stderr).toBe("");
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout);
}

describe("bindpool CLI", { timeout: 120_000 }, () => {
  it("shows what the store holds: stats per pool and city, every number, one order with masked numbers", async () => {
    for (let i = 0; i < 5; i++) {
      await allocator.allocate({
        pool: "rides",
        orderKey: `r${i}`,
        a: user(i),
        b: user(100 + i),
        ttlSeconds: 60,
      });
    }
    await allocator.allocate({ pool: "food", orderKey: "f0", a: user(7), b: user(8), ttlSeconds: 60 });
    const file = config();

    const stats = (await json(["stats", "--config", file])) as { pool: string; bound: number }[];
    expect(stats).toEqual([
      expect.objectContaining({ ...(await allocator.stats("rides")), cities: await cities("rides") }),
      expect.objectContaining({ ...(await allocator.stats("food")), cities: await cities("food") }),
    ]);
    expect(stats.map((s) => s.bound)).toEqual([5, 1]);

    const numbers = await json(["numbers", "--config", file, "--pool", "rides"]);
    expect(numbers).toEqual((await store.numbers("rides")).map((n) => ({ pool: "rides", ...n })));

    const order = await cli(["order", "r2", "--config", file, "--pool", "rides"]);
    const entry = (await allocator.get("r2", "rides"))!;
    expect(order.code).toBe(0);
    expect(order.stdout).toContain(`order r2 in pool rides: bound on ${entry.x}`);
    expect(order.stdout).toContain(entry.subscriptionId);
    expect(order.stdout).not.toContain(user(2));
    expect(order.stdout).toContain("+86****0002");
    const shown = (await json(["order", "r2", "--config", file, "--pool", "rides", "--show-numbers"])) as {
      a: string;
    };
    expect(shown.a).toBe(user(2));

    const text = await cli(["stats", "--config", file]);
    expect(text.stdout).toContain("pool rides (AXB): 4 numbers");
    expect(text.stdout).toContain("orders: 5 bound, 0 reserved");
  });

  it("shows the B a pending reassign is leaving, masked like the others", async () => {
    const file = config();
    await allocator.allocate({ pool: "rides", orderKey: "m1", a: user(40), b: user(41), ttlSeconds: 60 });
    const entry = (await store.get("rides", "m1"))!;
    // The store's half of a reassign whose modify has not been answered yet.
    expect(await store.changeB("rides", "m1", entry.token, user(42))).toBe("ok");
    const order = await cli(["order", "m1", "--config", file, "--pool", "rides"]);
    expect(order.stdout).toContain("previous b +86****0041");
    expect(order.stdout).not.toContain(user(41));
    const listed = (await json(["entries", "--config", file, "--pool", "rides", "--key-prefix", "m1"])) as {
      entries: { b: string; previousB: string }[];
    };
    expect(listed.entries).toEqual([expect.objectContaining({ b: "+86****0042", previousB: "+86****0041" })]);
    expect(await store.settleB("rides", "m1", entry.token, user(42))).toBe("ok");
    expect(await allocator.complete("m1", "rides")).toBeDefined();
  });

  it("drains, quarantines and re-activates a number: the app's allocations follow", async () => {
    const file = config();
    const x = pools[1]!.numbers[0]!.x;
    const drained = await cli(["drain", x, "--config", file, "--pool", "food"]);
    expect(drained).toMatchObject({ code: 0, stdout: `${x} in pool food is draining\n` });
    const other = pools[1]!.numbers[1]!.x;
    for (let i = 0; i < 3; i++) {
      const b = await allocator.allocate({
        pool: "food",
        orderKey: `d${i}`,
        a: user(20 + i),
        b: user(30 + i),
        ttlSeconds: 60,
      });
      expect(b.x).toBe(other);
    }
    const quarantined = (await json([
      "quarantine",
      x,
      "--minutes",
      "5",
      "--config",
      file,
      "--pool",
      "food",
    ])) as {
      untilMs: number;
    };
    const load = (await store.numbers("food")).find((n) => n.x === x)!;
    expect(load.state).toBe("quarantined");
    expect(quarantined.untilMs).toBeGreaterThan(Date.now());
    expect((await cli(["activate", x, "--config", file, "--pool", "food"])).code).toBe(0);
    expect((await store.numbers("food")).find((n) => n.x === x)!.state).toBe("active");
  });

  it("lists fenced bindings and waiting unbinds, and reconciles them away against the platform", async () => {
    const file = config();
    const x = pools[0]!.numbers[3]!.x;
    // A stray binding holds user 500 on X; an order of user 500 that tries X gets a conflict and fences it.
    const stray = sim.bindBehindBack(app.appKey, { x, a: user(501), b: user(500) });
    await allocator.allocate({
      pool: "rides",
      orderKey: "s1",
      a: user(500),
      b: user(502),
      ttlSeconds: 60,
      preferX: x,
    });
    const fenced = (await json(["entries", "--kind", "foreign", "--config", file])) as {
      total: number;
      entries: { orderKey: string; x: string; status: string; b: string }[];
    };
    expect(fenced.total).toBe(1);
    expect(fenced.entries[0]).toMatchObject({
      orderKey: `<foreign:${stray.subscriptionId}>`,
      kind: "foreign",
      x,
      status: "bound",
    });
    expect(fenced.entries[0]!.b).toBe("+86****0500");

    // An unbind the platform cannot take now waits in the store as `releasing`.
    sim.faults.set({ serverErrorRate: 1 });
    expect(await allocator.complete("s1", "rides")).toEqual({ status: "pending" });
    sim.faults.reset();
    const waiting = (await json(["entries", "--status", "releasing", "--config", file])) as {
      entries: { orderKey: string }[];
    };
    expect(waiting.entries.map((e) => e.orderKey)).toEqual(["s1"]);

    const report = (await json(["reconcile", "--config", file, "--pool", "rides"])) as Record<
      string,
      { unboundOrphans: number; numbers: number }
    >;
    expect(report.rides).toMatchObject({ unboundOrphans: 1, numbers: 4 });
    expect(sim.bindings(app.appKey).map((b) => b.subscriptionId)).not.toContain(stray.subscriptionId);
    const swept = (await json(["sweep", "--config", file])) as Record<string, { unbindsRetried: number }>;
    expect(Object.keys(swept)).toEqual(["rides", "food"]);
    expect(swept.rides!.unbindsRetried).toBe(1);
    expect(await json(["entries", "--kind", "foreign", "--config", file])).toEqual({
      total: 0,
      entries: [],
    });
    expect(await allocator.get("s1", "rides")).toBeUndefined();
  });

  it("runs a sweep only when no instance runs it now, under the app's lock prefix", async () => {
    const file = config();
    const appLock = new RedisLock({ redis: redis.client(), prefix: "ops" });
    let release!: () => void;
    let started!: () => void;
    const held = new Promise<void>((r) => (started = r));
    const leader = appLock.elect("bindpool:sweeper", 10_000, async () => {
      started();
      await new Promise<void>((r) => (release = r));
    });
    await held;
    const busy = await cli(["sweep", "--config", file]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("BINDPOOL_JOB_BUSY: Another instance is running the sweep now");
    // Under another lock prefix it is another deployment's election: this one is free.
    const elsewhere = config({ redis: { url: redis.url, prefix: "ops", lockPrefix: "elsewhere" } });
    expect((await cli(["sweep", "--config", elsewhere])).code).toBe(0);
    release();
    expect(await leader).toEqual({ leader: true, result: undefined });
    expect((await cli(["sweep", "--config", file])).code).toBe(0);
  });

  it("refuses bad usage and bad config with a message and exit code 2, and failed commands with 1", async () => {
    const file = config();
    const unknown = await cli(["frobnicate", "--config", file]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');

    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ pools: [{ id: "p", mode: "AXB", numbers: [{ x: "12345" }] }] }));
    const badStatus = await cli(["entries", "--status", "gone", "--config", file]);
    expect(badStatus).toMatchObject({ code: 2, stdout: "" });
    expect(badStatus.stderr).toContain("--status takes one of reserved, bound, releasing");

    const invalid = await cli(["stats", "--config", bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("pools.0.numbers.0.x");

    const both = config({ redis: { url: redis.url, cluster: [redis.url] } });
    const ambiguous = await cli(["stats", "--config", both]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("redis: set one of url, cluster and sentinel");

    // A pool in the config that no app instance has written: the store says so; the CLI does not create it.
    const ghost = config({
      pools: [...pools, { id: "ghost", mode: "AXB", numbers: [{ x: "+8617000009999" }] }],
    });
    const unknownPool = await cli(["stats", "--pool", "ghost", "--config", ghost]);
    expect(unknownPool.code).toBe(1);
    expect(unknownPool.stderr).toContain('BINDPOOL_UNKNOWN_POOL: Pool "ghost" is not in the store');
    const wrongPrefix = await cli([
      "stats",
      "--config",
      config({ redis: { url: redis.url, prefix: "typo" } }),
    ]);
    expect(wrongPrefix.code).toBe(1);
    expect(wrongPrefix.stderr).toContain('with prefix "typo"');
    expect(await store.numbers("ghost").catch(() => [])).toEqual([]);

    const noPool = await cli(["drain", pools[0]!.numbers[0]!.x, "--config", file]);
    expect(noPool.code).toBe(2);
    expect(noPool.stderr).toContain("--pool");

    const notOurs = await cli(["drain", "+8617999999999", "--config", file, "--pool", "rides"]);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toContain("BINDPOOL_VALIDATION");

    const offline = config({ platform: undefined });
    const sweep = await cli(["sweep", "--config", offline]);
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toContain('"platform"');

    const noSecret = await cli(["sweep", "--config", file], { TEST_PN_SECRET: "" });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("TEST_PN_SECRET");

    const noRedis = await cli(["stats", "--config", file], { REDIS_URL: "redis://:hunter2@127.0.0.1:1" });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toContain("BINDPOOL_STORE: Cannot reach Redis at redis://:***@127.0.0.1:1");
    expect(noRedis.stderr).not.toContain("hunter2");

    const help = await cli(["--help"]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain("Usage: bindpool <command>");
  });
});

describe("bindpool CLI on a Redis Cluster and behind Sentinel", { timeout: 120_000 }, () => {
  it("reads and changes the pools the app keeps on the cluster", async () => {
    const cluster = await startRedisCluster();
    try {
      const client = cluster.client();
      const onCluster = new Allocator({
        store: new RedisStore({ redis: client, prefix: "ops" }),
        driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
        pools,
      });
      for (let i = 0; i < 3; i++) {
        await onCluster.allocate({
          pool: "food",
          orderKey: `c${i}`,
          a: user(300 + i),
          b: user(400 + i),
          ttlSeconds: 60,
        });
      }
      const file = config({ redis: { cluster: [`redis://127.0.0.1:${cluster.ports[0]}`], prefix: "ops" } });
      const stats = (await json(["stats", "--pool", "food", "--config", file])) as { bound: number }[];
      expect(stats.map((s) => s.bound)).toEqual([(await onCluster.stats("food")).bound]);
      const x = pools[1]!.numbers[1]!.x;
      expect((await cli(["retire", x, "--pool", "food", "--config", file])).code).toBe(0);
      const numbers = await new RedisStore({ redis: client, prefix: "ops" }).numbers("food");
      expect(numbers.find((n) => n.x === x)?.state).toBe("retired");
      for (let i = 0; i < 3; i++) await onCluster.complete(`c${i}`, "food");
    } finally {
      await cluster.stop();
    }
  });

  it("finds the master through the Sentinel", async () => {
    const sentinel = await startRedisSentinel();
    try {
      const behind = new Allocator({
        store: new RedisStore({ redis: sentinel.client(), prefix: "ops" }),
        driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
        pools,
      });
      await behind.allocate({ pool: "food", orderKey: "s0", a: user(600), b: user(601), ttlSeconds: 60 });
      const nodes = sentinel.sentinels.map((n) => `redis://${n.host}:${n.port}`);
      const file = config({ redis: { sentinel: { nodes, name: sentinel.name }, prefix: "ops" } });
      const stats = (await json(["stats", "--pool", "food", "--config", file])) as { bound: number }[];
      // The new store's pool was rebuilt from the platform (bindings of earlier tests adopted) plus s0.
      expect(stats.map((s) => s.bound)).toEqual([(await behind.stats("food")).bound]);
      expect(stats[0]!.bound).toBeGreaterThanOrEqual(1);
      const wrong = config({ redis: { sentinel: { nodes, name: "no-such-master" }, prefix: "ops" } });
      const missing = await cli(["stats", "--config", wrong]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("Sentinel master no-such-master");
      await behind.complete("s0", "food");
    } finally {
      await sentinel.stop();
    }
  });
});

async function cities(pool: string) {
  return (await allocator.utilisation()).filter((u) => u.pool === pool);
}
