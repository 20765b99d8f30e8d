import { Allocator, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, configFile, few, snapshot } from "./harness.js";

// Every flag is checked before the CLI changes anything: a refused command leaves the store as it was.

const app = { appKey: "flags-key", appSecret: "flags-secret" };
const pool: PoolConfig = {
  id: "rides",
  mode: "AXB",
  numbers: [{ x: "+8617000002001" }, { x: "+8617000002002" }],
};
const X = "+8617000002001";

let redis: RedisServer;
let sim: Simulator;
let client: Redis;
let store: RedisStore;
let file: string;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({
    apps: [{ ...app, mode: "AXB", numbers: pool.numbers.map((n) => ({ x: n.x })) }],
  });
  client = redis.client();
  store = new RedisStore({ redis: client, prefix: "flags" });
  const allocator = new Allocator({
    store,
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
    pools: [pool],
    lock: new RedisLock({ redis: client, prefix: "flags" }),
  });
  await allocator.allocate({
    pool: "rides",
    orderKey: "o1",
    a: "+8613800000001",
    b: "+8613800000002",
    ttlSeconds: 600,
  });
  file = configFile({
    redis: { url: redis.url, prefix: "flags" },
    platform: { baseUrl: sim.url, appKey: app.appKey, appSecretEnv: "FLAGS_SECRET" },
  });
});
afterAll(async () => {
  await sim?.close();
  await redis?.stop();
});

/** Command lines refused as bad usage (exit 2), each with a part of its message. */
const REFUSED: [args: string[], message: string][] = [
  [["quarantine", X, "--minutes", "1e12"], "--minutes takes a positive number of minutes up to"],
  // Past the last time a Date holds (8.64e15 ms) yet a safe integer: the case that quarantined, then failed.
  [["quarantine", X, "--minutes", "145000000000"], "--minutes takes a positive number"],
  [["quarantine", X, "--minutes", "0"], "--minutes takes a positive number"],
  [["quarantine", X, "--minutes=-5"], "--minutes takes a positive number"],
  [["quarantine", X, "--minutes", "Infinity"], "--minutes takes a positive number"],
  [["quarantine", X, "--minutes", "NaN"], "--minutes takes a positive number"],
  [["quarantine", X, "--minutes", ""], "--minutes takes a positive number"],
  [["quarantine", X, "--seconds", "5"], "--seconds goes with callee only, not with quarantine"],
  [["drain", X, "--minutes", "5"], "--minutes goes with quarantine only, not with drain"],
  [["retire", X, "--wait"], "--wait goes with drain only"],
  [["drain", X, "--poll-seconds", "5"], "--poll-seconds goes with drain --wait only"],
  [["drain", X, "--wait", "--poll-seconds", "0"], "--poll-seconds takes a whole number from 1 to 3600"],
  [["drain", X, "--wait", "--poll-seconds", "1.5"], "--poll-seconds takes a whole number"],
  [["drain", X, "--wait", "--poll-seconds", "3601"], "--poll-seconds takes a whole number"],
  [["entries", "--limit", "0"], "--limit takes a whole number from 1"],
  [["entries", "--limit", "ten"], "--limit takes a whole number"],
  [["entries", "--status", "gone"], "--status takes one of reserved, bound, releasing"],
  [
    ["callee", "o1", "+8613800000009", "--seconds", "259201"],
    "--seconds takes a whole number from 1 to 259200",
  ],
  [["callee", "o1", "+8613800000009", "--seconds", "0"], "--seconds takes a whole number"],
  [["callee", "o1"], "callee takes ORDER_KEY NUMBER, got 1 argument"],
  [["activate"], "activate takes X, got 0 arguments"],
  [["drain", X, "+8617000002002"], "drain takes X, got 2 arguments"],
  [["sweep", "--adopt-unknown"], "--adopt-unknown goes with reconcile only"],
  [["retire", X, "--pool", "nosuch"], 'Pool "nosuch" is not in the store'],
];

describe("bindpool CLI flag checks", { timeout: 180_000 }, () => {
  it("refuses every bad flag with exit 2 before changing anything", async () => {
    const before = await snapshot(client);
    const results = await few(REFUSED, ([args]) =>
      cli([...args, "--config", file], { FLAGS_SECRET: app.appSecret }),
    );
    results.forEach((out, i) => {
      const [args, message] = REFUSED[i]!;
      expect({ args, code: out.code, stdout: out.stdout }).toEqual({
        args,
        code: args.includes("nosuch") ? 1 : 2,
        stdout: "",
      });
      expect(out.stderr).toContain(message);
    });
    expect(await snapshot(client)).toEqual(before);
    expect((await store.numbers("rides")).map((n) => n.state)).toEqual(["active", "active"]);
  });

  it("refuses an X that is not in the pool with the bindpool code, the store unchanged", async () => {
    const before = await snapshot(client);
    const out = await cli(["quarantine", "+8617999999999", "--minutes", "5", "--config", file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("BINDPOOL_VALIDATION");
    expect(await snapshot(client)).toEqual(before);
  });

  it("quarantines for a fraction of a minute, until a time it prints", async () => {
    const started = Date.now();
    const out = await cli(["quarantine", X, "--minutes", "0.5", "--config", file, "--json"]);
    expect(out.stderr).toBe("");
    const { untilMs } = JSON.parse(out.stdout) as { untilMs: number };
    expect(Number.isSafeInteger(untilMs)).toBe(true);
    expect(untilMs).toBeGreaterThanOrEqual(started + 30_000);
    expect((await store.numbers("rides")).find((n) => n.x === X)?.state).toBe("quarantined");
    expect((await cli(["activate", X, "--config", file])).code).toBe(0);
  });
});
