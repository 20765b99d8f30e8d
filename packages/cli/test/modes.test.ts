import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Allocator, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type RedisServer, startRedis } from "@bindpool/redis/testing";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli as runCli } from "./harness.js";

// The real CLI process on AX and AXE pools that an Allocator in this process (the "app") keeps in Redis.

const AX_APP = { appKey: "cli-ax", appSecret: "cli-ax-secret" };
const AXE_APP = { appKey: "cli-axe", appSecret: "cli-axe-secret" };
const COURIER = "+8613700000001";
const CUSTOMER = "+8613900000002";
const axPool: PoolConfig = {
  id: "couriers",
  mode: "AX",
  numbers: [{ x: "+8617200000001" }, { x: "+8617200000002" }],
};
const axePool: PoolConfig = {
  id: "food",
  mode: "AXE",
  numbers: [{ x: "+8617300000001", extensionDigits: 3 }],
};

let redis: RedisServer;
let sim: Simulator;
let receiver: Server;
let dir: string;
const apps: Record<string, Allocator> = {};

beforeAll(async () => {
  redis = await startRedis();
  receiver = createServer((req, res) => req.resume().on("end", () => res.end()));
  await new Promise<void>((ready) => receiver.listen(0, "127.0.0.1", ready));
  sim = await startSimulator({
    apps: [
      { ...AX_APP, mode: "AX", numbers: axPool.numbers.map((n) => ({ x: n.x })) },
      { ...AXE_APP, mode: "AXE", numbers: [{ x: axePool.numbers[0]!.x, extensionDigits: 3 }] },
    ],
    push: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` },
  });
  const client = redis.client();
  for (const [pool, app] of [
    [axPool, AX_APP],
    [axePool, AXE_APP],
  ] as const) {
    apps[pool.id] = new Allocator({
      store: new RedisStore({ redis: client, prefix: "modes" }),
      driver: new HuaweiDriver({ baseUrl: sim.url, ...app }),
      pools: [pool],
      lock: new RedisLock({ redis: client, prefix: "modes" }),
    });
  }
  dir = mkdtempSync(join(tmpdir(), "bindpool-cli-modes-"));
});
afterAll(async () => {
  await sim?.close();
  await new Promise((done) => receiver?.close(done));
  await redis?.stop();
});

function config(pool: PoolConfig, app: { appKey: string }): string {
  const file = join(dir, `${pool.id}.json`);
  const platform = { baseUrl: sim.url, appKey: app.appKey, appSecretEnv: "TEST_PN_SECRET" };
  writeFileSync(
    file,
    JSON.stringify({ redis: { url: redis.url, prefix: "modes" }, pools: [pool], platform }),
  );
  return file;
}

/** The CLI process with the app's secret where its platform calls read it. */
const cli = (args: string[], secret: string) => runCli(args, { TEST_PN_SECRET: secret });

describe("bindpool CLI on AX and AXE pools", { timeout: 120_000 }, () => {
  it("sets a courier's callee, masked in the output, and the simulator routes the courier's call there", async () => {
    const app = apps.couriers!;
    const held = await app.hold({ pool: "couriers", holder: "courier:1", a: COURIER });
    const file = config(axPool, AX_APP);
    const out = await cli(
      ["callee", "courier:1", CUSTOMER, "--seconds", "120", "--config", file],
      AX_APP.appSecret,
    );
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`the next call through ${held.x} reaches +86****0002`);
    expect(out.stdout).not.toContain(CUSTOMER);
    const call = await sim.simulateCall(AX_APP.appKey, { subscriptionId: held.subscriptionId, from: "a" });
    expect(call.called).toBe(CUSTOMER);

    const bad = await cli(
      ["callee", "courier:1", CUSTOMER, "--seconds", "0", "--config", file],
      AX_APP.appSecret,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--seconds takes a whole number from 1 to 259200");
  });

  it("drains X and with --wait returns once the courier holding it is done", async () => {
    const app = apps.couriers!;
    const held = await app.hold({ pool: "couriers", holder: "courier:2", a: "+8613700000002" });
    const file = config(axPool, AX_APP);
    const waiting = cli(
      ["drain", held.x, "--wait", "--poll-seconds", "1", "--config", file],
      AX_APP.appSecret,
    );
    // The CLI has drained X once no new holder gets it; then the shift ends.
    for (;;) {
      const n = (await app.stats("couriers")).byState.draining;
      if (n === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await app.complete("courier:2");
    const out = await waiting;
    expect(out.stderr).toBe("");
    expect(out.stdout).toContain(`${held.x} in pool couriers is draining and carries nothing now`);
  });

  it("shows an AXE order's extension beside its X", async () => {
    const app = apps.food!;
    const b = await app.allocate({ pool: "food", orderKey: "meal-1", a: CUSTOMER, ttlSeconds: 600 });
    const file = config(axePool, AXE_APP);
    const order = await cli(["order", "meal-1", "--config", file], AXE_APP.appSecret);
    expect(order.stdout).toContain(`bound on ${b.x} ext ${b.extension}`);
    const entries = await cli(["entries", "--config", file], AXE_APP.appSecret);
    expect(entries.stdout).toContain(`${b.x} ext 001`);
  });
});
