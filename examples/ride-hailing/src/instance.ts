/**
 * One allocator instance of the multi-instance scenario, run as a child process by `cluster.ts`: a
 * RedisStore, RedisLock and shared RedisRateLimiter on one Redis, and the Huawei driver on one simulator.
 * Phase 1 runs its share of the orders and leaves some open; phase 2 completes the open ones.
 */
import { Allocator, type BindpoolError, type PoolConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisRateLimiter, RedisStore } from "@bindpool/redis";
import { Redis } from "ioredis";

export interface InstanceConfig {
  readonly index: number;
  readonly redisUrl: string;
  readonly simUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly pool: PoolConfig;
  readonly cities: readonly string[];
  readonly firstOrder: number;
  readonly orders: number;
  readonly concurrency: number;
  readonly riders: number;
  readonly drivers: number;
  /** Share of orders left open at the end of phase 1. */
  readonly keepOpen: number;
  /** The platform budget shared by all instances. */
  readonly requestsPerSecond: number;
}

export type InstanceMessage =
  | { type: "phase1"; allocated: number; failed: Record<string, number>; latenciesMs: number[] }
  | { type: "phase2"; completed: number; pending: number; failed: Record<string, number> };

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

async function run(config: InstanceConfig, send: (m: InstanceMessage) => void, phase2: Promise<void>) {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const limiter = new RedisRateLimiter({
    redis,
    key: `bp:rate:${config.appKey}`,
    requestsPerSecond: config.requestsPerSecond,
  });
  const driver = new HuaweiDriver({
    baseUrl: config.simUrl,
    appKey: config.appKey,
    appSecret: config.appSecret,
    requestsPerSecond: Number.POSITIVE_INFINITY, // the shared limiter paces every instance together
    limiter,
    concurrency: config.concurrency,
    timeoutMs: 10_000,
  });
  const allocator = new Allocator({
    store: new RedisStore({ redis }),
    driver,
    lock: new RedisLock({ redis }),
    pools: [config.pool],
    transientRetries: 5,
  });
  await allocator.init();

  const random = (n: number) => Math.floor(Math.random() * n);
  const failed: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const open: string[] = [];
  let next = 0;
  let allocated = 0;
  const worker = async () => {
    while (next < config.orders) {
      const orderKey = `ride-${config.firstOrder + next++}`;
      // Skewed: a few busy riders hold several rides at once, across instances.
      const rider = phone("138", random(4) === 0 ? random(20) : random(config.riders));
      const driverPhone = phone("139", random(config.drivers));
      const started = performance.now();
      try {
        await allocator.allocate({
          pool: config.pool.id,
          orderKey,
          a: rider,
          ...(config.pool.mode === "AXB" || config.pool.mode === "AXYB" ? { b: driverPhone } : {}),
          ttlSeconds: 3_600,
          area: { city: config.cities[random(config.cities.length)]!, match: "ladder" },
        });
        latenciesMs.push(performance.now() - started);
        allocated++;
        if (Math.random() < config.keepOpen) open.push(orderKey);
        else await allocator.complete(orderKey);
      } catch (error) {
        const code = (error as BindpoolError).code ?? String(error);
        failed[code] = (failed[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  send({ type: "phase1", allocated, failed, latenciesMs });

  await phase2;
  let completed = 0;
  let pending = 0;
  const failed2: Record<string, number> = {};
  for (const orderKey of open) {
    try {
      const { status } = await allocator.complete(orderKey);
      if (status === "released") completed++;
      else if (status === "pending") pending++;
    } catch (error) {
      const code = (error as BindpoolError).code ?? String(error);
      failed2[code] = (failed2[code] ?? 0) + 1;
    }
  }
  // Queued unbinds: retry until none is left (normally the elected sweeper does this).
  for (let i = 0; i < 20 && pending > 0; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const r = await allocator.sweep({ limit: 10_000 });
    pending -= r.unbindsRetried;
  }
  send({ type: "phase2", completed, pending, failed: failed2 });
  await redis.quit();
}

if (process.send) {
  let startPhase2: () => void = () => {};
  const phase2 = new Promise<void>((resolve) => {
    startPhase2 = resolve;
  });
  process.on("message", (m: { type: string; config?: InstanceConfig }) => {
    if (m.type === "start" && m.config) {
      run(m.config, (msg) => process.send?.(msg), phase2).then(
        () => process.disconnect(),
        (error: unknown) => {
          console.error(`instance failed: ${error instanceof Error ? error.stack : String(error)}`);
          process.exit(1);
        },
      );
    } else if (m.type === "phase2") startPhase2();
  });
}
