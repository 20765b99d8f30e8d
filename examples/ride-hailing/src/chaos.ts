/**
 * The chaos run: allocator processes on one Redis and one simulator with faults injected. Orders
 * allocate, some reassign, and complete in random order while a few hundred stay live on each X (several
 * pages of the platform's listing), and meanwhile: instances are killed with SIGKILL and replaced, Redis
 * restarts once keeping its data (AOF) and once losing it, a window of slow platform answers outlasts the
 * leases, Redis stalls writes longer than a lease, numbers turn abnormal by status push, and bindings
 * appear behind bindpool's back. An independent history checker reads every client call and the
 * platform's own log throughout; afterwards the sweeper and reconciler run and the quiet state is checked.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Allocator, orderKeyFromUserData, type PoolConfig } from "@bindpool/core";
import { type CheckerCounts, HistoryChecker } from "@bindpool/history";
import { createNotificationHandler, HuaweiDriver, notificationsToAllocator } from "@bindpool/huawei";
import { RedisStore } from "@bindpool/redis";
import { startRedis } from "@bindpool/redis/testing";
import { startSimulator } from "@bindpool/simulator";
import { Redis } from "ioredis";
import { ChaosFleet } from "./chaos-fleet.js";
import { recordCalls, watchPlatform } from "./chaos-history.js";
import type { ChaosInstanceConfig } from "./chaos-instance.js";
import { quietStateViolations } from "./chaos-quiet.js";

export interface ChaosOptions {
  readonly orders: number;
  readonly instances: number;
  /** Orders kept live at once once the run is up; each new order then completes a random live one. */
  readonly targetLive: number;
  /** Time between chaos events (a kill, a flow-control burst, a status push). @default 4_000 */
  readonly chaosIntervalMs?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ChaosReport {
  readonly ordersLive: number;
  readonly ordersCompleted: number;
  /** Completes called again at the end because an earlier call failed, and those still failing. */
  readonly completesRetried: { calls: number; stillFailing: number };
  readonly reassigned: number;
  readonly instancesKilled: number;
  /** Redis restarts that kept the data (AOF) and that lost it. */
  readonly redisRestarts: { kept: number; lost: number };
  /** From the restart that lost Redis's data to the first allocate asked after it that answered ok. */
  readonly servingAgainAfterDataLossMs?: number;
  /** How long each rebuild of the pool from the platform took (ms), by the instances that finished one. */
  readonly rebuildsMs: number[];
  /** Windows of platform answers slower than a lease, and Redis write stalls longer than a lease. */
  readonly longFaults: { slowPlatform: number; redisStalls: number };
  readonly faults: Record<string, number>;
  readonly statusPushes: { sent: number; applied: number };
  /** Bindings made behind bindpool's back during the run (the reconciler must unbind them). */
  readonly orphansInjected: number;
  /**
   * Bindings a data loss brought back by design, still bound at the end: ones made behind bindpool's
   * back that the rebuild adopted, and orders whose pending unbind was in the lost outbox.
   */
  readonly broughtBackByDataLoss: number;
  readonly sweep: Record<string, number>;
  readonly reconcile: Record<string, number>;
  /** What the instances' jobs repaired while orders came and went, by action (best effort: an instance killed right after a repair may not have told). */
  readonly reconciledDuringRun: Record<string, number>;
  /** What the history checker saw, and its violations by rule. */
  readonly history: CheckerCounts;
  /** Every violation (empty when all is well)... */
  readonly violations: string[];
  /** ...and how many of each kind, with the first few of each kind. */
  readonly violationCounts: Record<string, number>;
  readonly violationSamples: Record<string, string[]>;
  readonly elapsedMs: number;
}

const app = { appKey: "chaos-app", appSecret: "chaos-secret" };
const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;
/** Few X, each holding several pages (100 per page) of live bindings. */
const NUMBERS = 4;
const CAPACITY = 1_000;
const LEASE_MS = 3_000;
const RIDERS = 5_000;
const DRIVERS = 4_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const say = o.onProgress ?? (() => {});
  const pool: PoolConfig = {
    id: "rides",
    mode: "AXB",
    numbers: Array.from({ length: NUMBERS }, (_, i) => ({
      x: phone("172", i),
      city: "0755",
      capacity: CAPACITY,
    })),
  };
  const redis = await startRedis({ appendOnly: true }); // AOF, fsync always; one restart drops the data
  const control = new Redis(redis.url, { retryStrategy: () => 200 });
  control.on("error", () => {});

  // The orchestrator receives the platform's pushes and applies them (X status) through its own allocator.
  let applied = 0;
  let bridge: ((e: Parameters<ReturnType<typeof notificationsToAllocator>>[0]) => Promise<void>) | undefined;
  const handler = createNotificationHandler({
    ...app,
    onEvent: async (event) => {
      await bridge?.(event);
      if (event.type === "numberStatus") applied += event.numbers.length;
    },
  });
  const receiver = http.createServer((req, res) => void handler.node(req, res));
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const pushUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;

  const baseFaults = { timeoutRate: 0.05, hangMs: 1_500, serverErrorRate: 0.05, latencyMs: 0 };
  const sim = await startSimulator({
    apps: [
      {
        ...app,
        mode: "AXB",
        numbers: pool.numbers.map((n) => ({ x: n.x, city: n.city, capacity: CAPACITY })),
      },
    ],
    faults: { ...baseFaults, seed: 42 },
    push: { url: pushUrl, timeScale: 0.0005 },
    rateLimit: { requestsPerSecond: 2_000 },
  });
  const checker = new HistoryChecker({
    capacityPerX: CAPACITY,
    onViolation: (v) => {
      if (checker.violations.length <= 5) say(`  history: ${v.rule}: ${v.message}`);
    },
  });
  const unwatch = watchPlatform(sim, app.appKey, checker);
  const admin = new Allocator({
    store: new RedisStore({ redis: control }),
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app, requestsPerSecond: 500 }),
    pools: [pool],
    leaseMs: LEASE_MS,
    unbindRetryMs: 500,
    quarantineMs: 0,
  });
  bridge = notificationsToAllocator(admin);

  const config: ChaosInstanceConfig = {
    redisUrl: redis.url,
    simUrl: sim.url,
    ...app,
    pool,
    requestsPerSecond: 1_500,
    leaseMs: LEASE_MS,
    reconcileIntervalMs: 1_000, // often: the reconciler is what took live orders' numbers
  };
  const fleet = new ChaosFleet(config, recordCalls(checker));
  await fleet.start(o.instances);

  // Chaos: kill -9 an instance every few seconds (and start a new one), Redis twice, slow answers, abnormal numbers.
  const redisRestarts = { kept: 0, lost: 0 };
  const longFaults = { slowPlatform: 0, redisStalls: 0 };
  let statusSent = 0;
  /** The tick of the first status push sent after Redis lost its data (earlier ones were lost with it). */
  let firstPushAfterLoss = Number.POSITIVE_INFINITY;
  let orphans = 0;
  /** subscriptionIds of the bindings made behind bindpool's back. */
  const injected = new Set<string>();
  /**
   * What a data loss may bring back, by design (docs/operations.md, "What a loss cannot bring back"): the
   * rebuild adopts every binding the platform holds then (an ended order's binding whose unbind was
   * pending, in flight or not yet due, one made behind bindpool's back), each kept until its TTL. By
   * subscriptionId: the bindings at the platform at the loss that no live order holds, and the ones
   * made behind bindpool's back while the pool may still be rebuilding.
   */
  const backAfterLoss = new Set<string>();
  let dataLostAt: number | undefined;
  let servingAgainAfterDataLossMs: number | undefined;
  /** The X of each rider's last order: the workload asks for it again (`preferX`), as a sticky app would. */
  const lastX = new Map<string, string>();
  /** The orders the client holds live, with their pair. */
  const live = new Map<string, { a: string; b: string; orB?: string }>();
  let stopChaos = false;
  const chaos = (async () => {
    let tick = 0;
    while (!stopChaos) {
      await new Promise((r) => setTimeout(r, o.chaosIntervalMs ?? 4_000));
      if (stopChaos) break;
      tick++;
      fleet.killOne();
      if (tick === 2) {
        await redis.restart!(500);
        redisRestarts.kept++;
        say("  Redis restarted (AOF: nothing lost)");
      }
      if (tick === 4) {
        // Answers (and the changes they make) come up to 4.5 s late: binds outlast their lease.
        sim.faults.set({ latencyMs: [0, 4_500], timeoutRate: 0.2, hangMs: 4_500 });
        setTimeout(() => sim.faults.set(baseFaults), 6_000);
        longFaults.slowPlatform++;
      }
      if (tick === 6) {
        await control.call("CLIENT", "PAUSE", String(LEASE_MS + 1_000), "WRITE");
        longFaults.redisStalls++;
      }
      if (tick === 10) {
        // Late, so that what the run finds before it is not drowned by what the loss breaks.
        const before = checker.violations.length;
        await redis.restart!(500, { loseData: true });
        dataLostAt = performance.now();
        for (const b of sim.bindings(app.appKey)) {
          const orderKey = orderKeyFromUserData(b.userData);
          if (orderKey === undefined || !live.has(orderKey)) backAfterLoss.add(b.subscriptionId);
        }
        redisRestarts.lost++;
        firstPushAfterLoss = statusSent + 1;
        say(`  Redis restarted empty (data lost), ${before} history violations before it`);
      }
      if (tick % 2 === 0) {
        sim.faults.set({ flowControlRate: 0.6 }); // a burst of flow control
        setTimeout(() => sim.faults.set({ flowControlRate: 0 }), 300);
      }
      statusSent++;
      sim.setNumberStatus(app.appKey, statusX(pool, statusSent), statusOf(statusSent));
      // A binding made behind bindpool's back (another system on the same app): the reconciler's job.
      // It holds a rider on the X that rider used last, so the rider's next (sticky) order there gets a
      // conflict answer and fences it, unless the reconciler unbinds it first.
      try {
        const riders = [...lastX.keys()];
        const rider = riders[Math.floor(Math.random() * riders.length)];
        const other = pool.numbers[(tick * 7 + 1) % pool.numbers.length]!.x;
        const stray = sim.bindBehindBack(app.appKey, {
          x: rider === undefined ? other : lastX.get(rider)!,
          a: phone("136", tick),
          b: rider ?? phone("136", 100_000 + tick),
        });
        injected.add(stray.subscriptionId);
        // Made while the pool may still be rebuilding: the rebuild may adopt it.
        if (dataLostAt !== undefined) backAfterLoss.add(stray.subscriptionId);
        orphans++;
      } catch {
        // the rider is on that X now, or X is full or abnormal at the platform: no orphan this time
      }
    }
  })();

  // The workload: allocate, sometimes reassign; past the target, complete a random live order.
  /** Live orders no worker is working on: the ones a completion may pick. */
  const idle: string[] = [];
  let completed = 0;
  let reassigned = 0;
  let next = 0;
  const failures: Record<string, number> = {};
  /** Orders whose complete failed: ended for the client, but maybe still held; completed again at the end. */
  const unfinished = new Set<string>();
  const complete = (client: number, orderKey: string) => fleet.request(client, { op: "complete", orderKey });
  const worker = async (client: number) => {
    while (next < o.orders) {
      const n = next++;
      const orderKey = `chaos-${n}`;
      const a = phone("138", Math.floor(Math.random() * RIDERS));
      const b = phone("139", Math.floor(Math.random() * DRIVERS));
      const askedAt = performance.now();
      const r = await fleet.request(client, { op: "allocate", orderKey, a, b, preferX: lastX.get(a) });
      if (!r.ok) {
        failures[r.code] = (failures[r.code] ?? 0) + 1;
        // An allocation that failed may still hold a reservation; complete it so nothing stays behind.
        if (!(await complete(client, orderKey)).ok) unfinished.add(orderKey);
      } else {
        if (r.binding !== undefined) lastX.set(a, r.binding.x);
        if (dataLostAt !== undefined && askedAt > dataLostAt && servingAgainAfterDataLossMs === undefined)
          servingAgainAfterDataLossMs = performance.now() - dataLostAt;
        live.set(orderKey, { a, b });
        if (Math.random() < 0.1) {
          const nb = phone("137", Math.floor(Math.random() * DRIVERS));
          const rr = await fleet.request(client, { op: "reassign", orderKey, b: nb });
          if (rr.ok) {
            reassigned++;
            live.set(orderKey, { a, b: nb });
          } else {
            // A reassign that failed may have taken effect (its modify landed unseen): either B is right.
            live.set(orderKey, { a, b, orB: nb });
          }
        }
        idle.push(orderKey);
      }
      if (live.size > o.targetLive && idle.length > 0) {
        // A random one, so completions land on every page of an X's listing, not only its newest.
        const i = Math.floor(Math.random() * idle.length);
        const done = idle[i]!;
        idle[i] = idle[idle.length - 1]!;
        idle.pop();
        const c = await complete(client, done);
        if (c.ok) {
          live.delete(done);
          completed++;
        } else {
          // It may have taken effect: a client retries it until it is answered, at the latest at the end.
          unfinished.add(done);
          live.delete(done);
        }
      }
      if (n % 1_000 === 0) {
        const h = checker.counts();
        say(
          `  ${Math.round((performance.now() - started) / 1000)} s: ${n}/${o.orders} orders, ${live.size} live, ${h.maxBindingsOnOneX} max on one X, ${fleet.killed} killed, ${checker.violations.length} history violations`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 48 }, (_, i) => worker(i)));
  stopChaos = true;
  await chaos;
  // A client whose complete failed calls it again until it is answered, as a real one would.
  let completesRetried = 0;
  for (let round = 0; round < 5 && unfinished.size > 0; round++) {
    for (const orderKey of [...unfinished]) {
      completesRetried++;
      if ((await fleet.request(0, { op: "complete", orderKey })).ok) unfinished.delete(orderKey);
    }
  }

  // Quiesce: no faults, let leases end, then the sweeper and the reconciler, as an operator would.
  sim.faults.reset();
  await fleet.stop();
  await sim.pushesIdle();
  await new Promise((r) => setTimeout(r, LEASE_MS + 500));
  const found = new Violations();
  for (const death of fleet.deaths) found.add("instance died on its own", death);
  for (const e of fleet.untypedErrors) found.add("untyped error", e);
  const run = async <T>(what: string, job: () => Promise<T>): Promise<T | undefined> =>
    job().catch((error: unknown) => {
      found.add("final job failed", `${what}: ${(error as Error).message}`);
      return undefined;
    });
  const sweep = await run("sweep", () => admin.sweep({ limit: 100_000 }));
  const reconcile = await run("reconcile", () => admin.reconcile());
  const sweep2 = await run("sweep", () => admin.sweep({ limit: 100_000 }));
  unwatch();
  const broughtBack = (subscriptionId?: string) =>
    subscriptionId !== undefined && backAfterLoss.has(subscriptionId);
  let expectedBack = 0;
  for (const v of checker.finish()) {
    if (v.rule === "final-orphan" && broughtBack(v.subscriptionId)) expectedBack++;
    else found.add(`history ${v.rule}`, v.message);
  }

  // The store and the platform in the quiet state; the last status push of each X took effect.
  const lastStatus = new Map<string, string>();
  for (let t = firstPushAfterLoss; t <= statusSent; t++)
    lastStatus.set(statusX(pool, t), statusOf(t) === "normal" ? "active" : "quarantined");
  const quiet = await run("the quiet-state check", () =>
    quietStateViolations({
      redis: control,
      pool: pool.id,
      sim,
      appKey: app.appKey,
      capacity: CAPACITY,
      live,
      lastStatus,
      broughtBack,
    }),
  );
  for (const v of quiet ?? []) found.add("quiet state", v);

  const stats = sim.stats();
  const report: ChaosReport = {
    ordersLive: live.size,
    ordersCompleted: completed,
    completesRetried: { calls: completesRetried, stillFailing: unfinished.size },
    reassigned,
    instancesKilled: fleet.killed,
    redisRestarts,
    servingAgainAfterDataLossMs,
    rebuildsMs: fleet.rebuildsMs,
    longFaults,
    faults: {
      timeouts: stats.faults.timeout ?? 0,
      serverErrors: stats.faults.serverError ?? 0,
      flowControl: stats.faults.flowControl ?? 0,
      ...Object.fromEntries(Object.entries(failures).map(([k, v]) => [`failed ${k}`, v])),
    },
    statusPushes: { sent: statusSent, applied },
    orphansInjected: orphans,
    broughtBackByDataLoss: expectedBack,
    sweep: sweep === undefined || sweep2 === undefined ? {} : sumReports(sweep, sweep2),
    reconcile: { ...reconcile },
    reconciledDuringRun: fleet.repairs,
    history: checker.counts(),
    violations: found.all,
    violationCounts: found.counts,
    violationSamples: found.samples,
    elapsedMs: performance.now() - started,
  };
  receiver.closeAllConnections();
  receiver.close();
  await sim.close();
  control.disconnect();
  await redis.stop();
  return report;
}

/**
 * The X the `t`-th status push is about, and the status it sets: each X turns abnormal and back in turn,
 * so with few X most of them stay open for new orders.
 */
const statusX = (pool: PoolConfig, t: number) =>
  pool.numbers[Math.floor((t - 1) / 2) % pool.numbers.length]!.x;
const statusOf = (t: number) => (t % 2 === 1 ? "abnormal" : "normal");

/** Violations by kind, with the first few of each kind for the report. */
class Violations {
  readonly all: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly samples: Record<string, string[]> = {};

  add(kind: string, message: string): void {
    this.all.push(`${kind}: ${message}`);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    const samples = this.samples[kind] ?? [];
    if (samples.length < 5) samples.push(message);
    this.samples[kind] = samples;
  }
}

function sumReports<T extends object>(a: T, b: T): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) out[k] = (v as number) + ((b as Record<string, number>)[k] ?? 0);
  return out;
}
