/**
 * One delivery day end to end: the simulator (AXE or AX app, over HTTP, with a push receiver for the
 * simulated calls), the Huawei driver, a MemoryStore (or a RedisStore on `redisUrl`), the allocator, the
 * couriers' day, the checks at the peak, the final sweep, the history check and the leak count.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Allocator, MemoryStore, type NumberConfig, type Store } from "@bindpool/core";
import type { Violation } from "@bindpool/history";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisStore } from "@bindpool/redis";
import { startSimulator } from "@bindpool/simulator";
import { Redis } from "ioredis";
import { peakViolations } from "./checks.js";
import { type DayPlan, type DayResult, runDay } from "./couriers.js";
import { axDispatch, axeDispatch } from "./dispatch.js";
import { Ledger } from "./ledger.js";

export type DeliveryMode = "AXE" | "AX";

export interface DayOptions extends Omit<DayPlan, "atPeak"> {
  readonly mode: DeliveryMode;
  /** X numbers in the pool. @default AXE: enough for twice the orders out at the peak; AX: couriers + 2 */
  readonly numbers?: number;
  /** AXE: the extension length of every X (1–4). @default 2 */
  readonly extensionDigits?: number;
  /** AXE: customers behind one X. @default 60 */
  readonly capacity?: number;
  /** Inject platform faults (1% 5xx, 1% flow control, 0.2% timeouts). */
  readonly faults: boolean;
  /** Use a RedisStore on this Redis (keys under a prefix of their own) instead of a MemoryStore. */
  readonly redisUrl?: string;
}

export interface DayReport {
  readonly day: DayResult;
  readonly numbers: number;
  readonly capacity: number;
  readonly latenciesMs: Readonly<Record<string, readonly number[]>>;
  /** Failed allocator calls by `op code`. */
  readonly failed: Readonly<Record<string, number>>;
  readonly retries: Readonly<Record<string, number>>;
  readonly platformRequests: number;
  readonly byResultCode: Readonly<Record<string, number>>;
  /** Store invariants and store–platform agreement at the peak. */
  readonly peakViolations: readonly string[];
  /** Bindings at the platform at the peak. */
  readonly peakBindings: number;
  readonly historyViolations: readonly Violation[];
  readonly leakedInStore: number;
  readonly leakedOnPlatform: number;
  readonly elapsedMs: number;
}

const POOL = "food";

/** Where the simulator pushes call events: takes everything (the app's receiver). */
async function pushReceiver() {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end());
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export async function deliveryDay(o: DayOptions): Promise<DayReport> {
  const capacity = o.mode === "AX" ? 1 : (o.capacity ?? 60);
  const count =
    o.numbers ??
    (o.mode === "AX" ? o.couriers + 2 : Math.max(4, Math.ceil((2 * o.couriers * o.batch[1]) / capacity)));
  const extensionDigits = o.extensionDigits ?? 2;
  const numbers: NumberConfig[] = Array.from({ length: count }, (_, i) => ({
    x: `+86171${String(i).padStart(8, "0")}`,
    ...(o.mode === "AXE" ? { extensionDigits, capacity } : {}),
  }));
  const app = { appKey: `delivery-${o.mode.toLowerCase()}`, appSecret: "delivery-secret" };
  const receiver = await pushReceiver();
  const sim = await startSimulator({
    apps: [{ ...app, mode: o.mode, numbers }],
    push: { url: receiver.url },
    faults: o.faults
      ? { serverErrorRate: 0.01, flowControlRate: 0.01, timeoutRate: 0.002, hangMs: 3_000, seed: 7 }
      : {},
  });
  const redis = o.redisUrl === undefined ? undefined : new Redis(o.redisUrl);
  // A prefix of this run's own: the day never touches other keys of a Redis it is given.
  const prefix = `bp-delivery-${Date.now()}`;
  const store: Store = redis === undefined ? new MemoryStore() : new RedisStore({ redis, prefix });
  const driver = new HuaweiDriver({
    baseUrl: sim.url,
    ...app,
    timeoutMs: 2_000,
    requestsPerSecond: 5_000,
    concurrency: 64,
  });
  const allocator = new Allocator({
    store,
    driver,
    pools: [{ id: POOL, mode: o.mode, numbers }],
    unbindRetryMs: 100,
  });
  const retries: Record<string, number> = {};
  allocator.on("retried", (e) => {
    retries[e.reason] = (retries[e.reason] ?? 0) + 1;
  });
  const ledger = new Ledger(capacity);
  ledger.watch(sim, app.appKey);
  const ctx = { allocator, sim, appKey: app.appKey, pool: POOL, ledger, orderTtlSeconds: 7_200 };
  const dispatch = o.mode === "AXE" ? axeDispatch(ctx) : axDispatch(ctx);

  const started = performance.now();
  try {
    let atPeak: string[] = [];
    let peakBindings = 0;
    const day = await runDay(dispatch, {
      ...o,
      atPeak: async () => {
        const bindings = sim.bindings(app.appKey);
        peakBindings = bindings.length;
        atPeak = await peakViolations(store, POOL, bindings);
      },
    });
    // Unbinds the platform refused are queued in the store; the sweeper (normally `startJobs`) finishes them.
    for (let i = 0; i < 30 && (await store.entries(POOL)).length > 0; i++) {
      await allocator.sweep();
      await new Promise((r) => setTimeout(r, 200));
    }
    await sim.pushesIdle();
    return {
      day,
      numbers: count,
      capacity,
      latenciesMs: ledger.latenciesMs,
      failed: ledger.failed,
      retries,
      platformRequests: sim.stats().requests,
      byResultCode: sim.stats().byResultCode,
      peakViolations: atPeak,
      peakBindings,
      historyViolations: ledger.finish(),
      leakedInStore: (await store.entries(POOL)).length,
      leakedOnPlatform: sim.bindings(app.appKey).length,
      elapsedMs: performance.now() - started,
    };
  } finally {
    await sim.close();
    await receiver.close();
    if (redis !== undefined) {
      for await (const keys of redis.scanStream({ match: `${prefix}:*` }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.del(...keys);
      }
      await redis.quit();
    }
  }
}
