/**
 * The chaos run: 4 allocator processes on one Redis (AOF on) and one simulator with faults injected.
 * Orders allocate, some reassign, and complete, while instances are killed with SIGKILL and restarted,
 * Redis is killed and restarted once, and numbers turn abnormal by status push. Afterwards the sweeper
 * and reconciler run and the store and the platform are checked against the orders still live.
 */
import { type ChildProcess, fork } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Allocator, type PoolConfig } from "@bindpool/core";
import { createNotificationHandler, HuaweiDriver, notificationsToAllocator } from "@bindpool/huawei";
import { RedisStore } from "@bindpool/redis";
import { startRedis } from "@bindpool/redis/testing";
import { startSimulator } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";
import { Redis } from "ioredis";
import type { ChaosInstanceConfig, ChaosRepair, ChaosReply, ChaosRequest } from "./chaos-instance.js";
import { agreementViolations, platformViolations } from "./checks.js";

export interface ChaosOptions {
  readonly orders: number;
  readonly instances: number;
  /** Orders left open at the end (the rest complete). */
  readonly keepOpen: number;
  /** Time between chaos events (a kill, a flow-control burst, a status push). @default 4_000 */
  readonly chaosIntervalMs?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ChaosReport {
  readonly ordersLive: number;
  readonly ordersCompleted: number;
  readonly reassigned: number;
  readonly instancesKilled: number;
  readonly redisRestarts: number;
  readonly faults: Record<string, number>;
  readonly statusPushes: { sent: number; applied: number };
  /** Bindings made behind bindpool's back during the run (the reconciler must unbind them). */
  readonly orphansInjected: number;
  readonly sweep: Record<string, number>;
  readonly reconcile: Record<string, number>;
  /** What the instances' reconcilers repaired while orders came and went, by action (best effort: an instance killed right after a repair may not have told). */
  readonly reconciledDuringRun: Record<string, number>;
  readonly violations: string[];
  readonly elapsedMs: number;
}

const app = { appKey: "chaos-app", appSecret: "chaos-secret" };
const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const pool: PoolConfig = {
    id: "rides",
    mode: "AXB",
    numbers: Array.from({ length: 60 }, (_, i) => ({ x: phone("172", i), city: "0755", capacity: 200 })),
  };
  const redis = await startRedis({ appendOnly: true }); // AOF, fsync always: a restart loses nothing
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

  const sim = await startSimulator({
    apps: [
      { ...app, mode: "AXB", numbers: pool.numbers.map((n) => ({ x: n.x, city: n.city, capacity: 200 })) },
    ],
    faults: { timeoutRate: 0.05, hangMs: 1_500, serverErrorRate: 0.05, seed: 42 },
    push: { url: pushUrl, timeScale: 0.0005 },
    rateLimit: { requestsPerSecond: 2_000 },
  });
  const admin = new Allocator({
    store: new RedisStore({ redis: control }),
    driver: new HuaweiDriver({ baseUrl: sim.url, ...app, requestsPerSecond: 500 }),
    pools: [pool],
    leaseMs: 3_000,
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
  };
  type Instance = { child: ChildProcess; ready: Promise<void>; alive: boolean; serving: boolean };
  const pending = new Map<number, { resolve: (r: ChaosReply) => void; instance: Instance }>();
  const repairedDuringRun: Record<string, number> = {};
  const spawnInstance = (): Instance => {
    const child = fork(fileURLToPath(new URL("./chaos-instance.ts", import.meta.url)), [], {
      execArgv: ["--conditions=source", "--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const instance: Instance = { child, alive: true, serving: false, ready: Promise.resolve() };
    let ready: () => void = () => {};
    instance.ready = new Promise<void>((resolve) => {
      ready = resolve;
    });
    child.on("message", (m: ChaosReply | ChaosRepair) => {
      if ("repair" in m) {
        repairedDuringRun[m.repair] = (repairedDuringRun[m.repair] ?? 0) + 1;
        return;
      }
      if (m.id === 0) {
        instance.serving = true;
        return ready();
      }
      pending.get(m.id)?.resolve(m);
      pending.delete(m.id);
    });
    child.on("exit", () => {
      instance.alive = false;
      ready(); // whoever waits for it moves on to another instance
      for (const [id, p] of pending) {
        if (p.instance === instance) {
          pending.delete(id);
          p.resolve({ id, ok: false, code: "INSTANCE_DIED" });
        }
      }
    });
    child.send({ type: "start", config });
    return instance;
  };
  const instances = Array.from({ length: o.instances }, spawnInstance);
  await Promise.all(instances.map((i) => i.ready));

  let nextId = 1;
  /** Sends a request to a live instance, again and again until one answers it (they are idempotent). */
  type Request = ChaosRequest extends infer R ? (R extends ChaosRequest ? Omit<R, "id"> : never) : never;
  const request = async (req: Request): Promise<ChaosReply> => {
    for (let attempt = 0; ; attempt++) {
      const live = instances.filter((i) => i.alive);
      const instance = live[Math.floor(Math.random() * live.length)];
      if (instance === undefined) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      await instance.ready;
      if (!instance.alive) continue;
      const id = nextId++;
      const reply = await new Promise<ChaosReply>((resolve) => {
        pending.set(id, { resolve, instance });
        instance.child.send({ ...req, id } as ChaosRequest);
      });
      // Retry what the chaos caused (dead instance, Redis down, platform unavailable); keep real answers.
      if (reply.ok || !retriable(reply.code) || attempt >= 40) return reply;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  };

  // Chaos: kill -9 an instance every few seconds (and start a new one), Redis once, abnormal numbers.
  let killed = 0;
  let redisRestarts = 0;
  let statusSent = 0;
  let orphans = 0;
  /** The X of each rider's last order: the workload asks for it again (`preferX`), as a sticky app would. */
  const lastX = new Map<string, string>();
  let stopChaos = false;
  const chaos = (async () => {
    let tick = 0;
    while (!stopChaos) {
      await new Promise((r) => setTimeout(r, o.chaosIntervalMs ?? 4_000));
      if (stopChaos) break;
      tick++;
      const serving = instances.map((inst, i) => (inst.serving ? i : -1)).filter((i) => i >= 0);
      const victim = serving[Math.floor(Math.random() * serving.length)];
      if (victim !== undefined) {
        instances[victim]!.child.kill("SIGKILL");
        killed++;
        instances[victim] = spawnInstance();
      }
      if (tick === 3) {
        await redis.restart!(500);
        redisRestarts++;
      }
      if (tick % 2 === 0) {
        sim.faults.set({ flowControlRate: 0.6 }); // a burst of flow control
        setTimeout(() => sim.faults.set({ flowControlRate: 0 }), 300);
      }
      const x = pool.numbers[tick % pool.numbers.length]!.x;
      sim.setNumberStatus(app.appKey, x, tick % 3 === 0 ? "normal" : "abnormal");
      statusSent++;
      // A binding made behind bindpool's back (another system on the same app): the reconciler's job.
      // It holds a rider on the X that rider used last, so the rider's next (sticky) order there gets a
      // conflict answer and fences it, unless the reconciler unbinds it first.
      try {
        const riders = [...lastX.keys()];
        const rider = riders[Math.floor(Math.random() * riders.length)];
        const other = pool.numbers[(tick * 7 + 1) % pool.numbers.length]!.x;
        sim.bindBehindBack(app.appKey, {
          x: rider === undefined ? other : lastX.get(rider)!,
          a: phone("136", tick),
          b: rider ?? phone("136", 100_000 + tick),
        });
        orphans++;
      } catch {
        // the rider is on that X now, or X is full or abnormal at the platform: no orphan this time
      }
    }
  })();

  // The workload: allocate, sometimes reassign, complete (or keep open).
  const live = new Map<string, { a: string; b: string }>();
  let completed = 0;
  let reassigned = 0;
  let next = 0;
  const failures: Record<string, number> = {};
  const worker = async () => {
    while (next < o.orders) {
      const n = next++;
      const orderKey = `chaos-${n}`;
      const a = phone("138", Math.floor(Math.random() * 2_000));
      const b = phone("139", Math.floor(Math.random() * 1_500));
      const r = await request({ op: "allocate", orderKey, a, b, preferX: lastX.get(a) });
      if (r.ok && r.x !== undefined) lastX.set(a, r.x);
      if (!r.ok) {
        failures[r.code] = (failures[r.code] ?? 0) + 1;
        // An allocation that failed may still hold a reservation; complete it so nothing stays behind.
        await request({ op: "complete", orderKey });
        continue;
      }
      live.set(orderKey, { a, b });
      if (Math.random() < 0.1) {
        const nb = phone("137", Math.floor(Math.random() * 1_500));
        const rr = await request({ op: "reassign", orderKey, b: nb });
        if (rr.ok) {
          reassigned++;
          live.set(orderKey, { a, b: nb });
        }
      }
      if (Math.random() >= o.keepOpen) {
        const c = await request({ op: "complete", orderKey });
        if (c.ok) {
          live.delete(orderKey);
          completed++;
        }
      }
      if (n % 500 === 0)
        o.onProgress?.(
          `  ${n}/${o.orders} orders, ${killed} instances killed, ${redisRestarts} Redis restarts`,
        );
    }
  };
  await Promise.all(Array.from({ length: 48 }, worker));
  stopChaos = true;
  await chaos;

  // Quiesce: no faults, let leases end, then the sweeper and the reconciler, as an operator would.
  sim.faults.reset();
  for (const i of instances) i.child.kill("SIGKILL");
  await sim.pushesIdle();
  await new Promise((r) => setTimeout(r, 3_500));
  const sweep = await admin.sweep({ limit: 100_000 });
  const reconcile = await admin.reconcile();
  const sweep2 = await admin.sweep({ limit: 100_000 });

  // Checks on the store and the platform.
  const store = new RedisStore({ redis: control });
  const violations = await invariantViolations(store, pool.id);
  const entries = await store.entries(pool.id);
  const bindings = sim.bindings(app.appKey);
  violations.push(...platformViolations(bindings, 200), ...agreementViolations(entries, bindings));
  const byOrder = new Map(entries.map((e) => [e.orderKey, e]));
  for (const e of entries) {
    if (!live.has(e.orderKey))
      violations.push(`store holds ${e.orderKey} (${e.status}) but the order is not live`);
  }
  for (const [orderKey, pair] of live) {
    const e = byOrder.get(orderKey);
    if (e === undefined) violations.push(`live order ${orderKey} has no binding in the store`);
    else if (e.a !== pair.a || e.b !== pair.b)
      violations.push(`live order ${orderKey} is bound to another pair`);
  }
  // Each X ends in the state its last status push asked for: every push took effect, once.
  const lastStatus = new Map<string, string>();
  for (let t = 1; t <= statusSent; t++)
    lastStatus.set(pool.numbers[t % pool.numbers.length]!.x, t % 3 === 0 ? "active" : "quarantined");
  for (const n of await store.numbers(pool.id)) {
    const want = lastStatus.get(n.x);
    if (want !== undefined && n.state !== want)
      violations.push(`${n.x} is ${n.state}, its last status push said ${want}`);
  }

  const stats = sim.stats();
  const report: ChaosReport = {
    ordersLive: live.size,
    ordersCompleted: completed,
    reassigned,
    instancesKilled: killed,
    redisRestarts,
    faults: {
      timeouts: stats.faults.timeout ?? 0,
      serverErrors: stats.faults.serverError ?? 0,
      flowControl: stats.faults.flowControl ?? 0,
      ...Object.fromEntries(Object.entries(failures).map(([k, v]) => [`failed ${k}`, v])),
    },
    statusPushes: { sent: statusSent, applied },
    orphansInjected: orphans,
    sweep: { ...sumReports(sweep, sweep2) },
    reconcile: { ...reconcile },
    reconciledDuringRun: repairedDuringRun,
    violations,
    elapsedMs: performance.now() - started,
  };
  receiver.closeAllConnections();
  receiver.close();
  await sim.close();
  control.disconnect();
  await redis.stop();
  return report;
}

function retriable(code: string): boolean {
  return (
    [
      "INSTANCE_DIED",
      "BINDPOOL_STORE",
      "BINDPOOL_PLATFORM_UNAVAILABLE",
      "BINDPOOL_ORDER_PENDING",
      "BINDPOOL_LEASE_LOST",
    ].includes(code) || !code.startsWith("BINDPOOL_")
  );
}

function sumReports<T extends object>(a: T, b: T): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) out[k] = (v as number) + ((b as Record<string, number>)[k] ?? 0);
  return out;
}
