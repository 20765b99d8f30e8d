/**
 * The ride-hailing scenario across N allocator processes sharing one Redis and one simulator: the
 * orchestrator starts the simulator, forks the instances, checks every invariant of the design on the
 * quiet state between the phases, and checks that nothing leaked at the end.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Mode, NumberConfig, PoolConfig } from "@bindpool/core";
import { RedisStore } from "@bindpool/redis";
import { startSimulator } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";
import { Redis } from "ioredis";
import { agreementViolations, platformViolations } from "./checks.js";
import type { InstanceConfig, InstanceMessage } from "./instance.js";

export interface ClusterOptions {
  readonly redisUrl: string;
  /**
   * AXB: each order binds a rider and a driver; AX: each order binds its rider alone to an X of its own
   * (a rider holds at most 5 X); AXE: the rider behind X plus an extension. @default "AXB"
   */
  readonly mode?: Mode;
  readonly instances: number;
  readonly orders: number;
  readonly numbers: number;
  /** AXB: pairs per X; AXE: riders behind one X (at most the extensions); AX: always 1. */
  readonly capacity: number;
  /** AXE: the extension length of every X, 1-4. @default 4 */
  readonly extensionDigits?: number;
  /** The platform's flow-control limit per app key (the simulator answers 1010010 above it). */
  readonly platformRequestsPerSecond: number;
  /**
   * Rate of the shared limiter all instances take their slots from. The limiter's window margin
   * absorbs delays of up to 20 ms between a slot and its request; four processes on a two-core test
   * machine can stall longer, so the demo runs it a little lower. @default 95% of `platformRequestsPerSecond`
   */
  readonly sharedRequestsPerSecond?: number;
  readonly concurrencyPerInstance?: number;
  readonly onProgress?: (line: string) => void;
}

export interface ClusterReport {
  readonly allocated: number;
  readonly failed: Record<string, number>;
  readonly latenciesMs: number[];
  /** Bindings open between the phases, and the invariant problems found then (empty: all hold). */
  readonly openBindings: number;
  readonly violations: string[];
  /** Most requests the simulator saw from the app key in one second, and its flow-control answers. */
  readonly maxPerSecond: number;
  readonly flowControlled: number;
  readonly leakedInStore: number;
  readonly leakedOnPlatform: number;
  readonly elapsedMs: number;
}

const CITIES = [
  { city: "0755", province: "GD" },
  { city: "020", province: "GD" },
  { city: "010", province: "BJ" },
];

/** The pool's numbers as the mode has them: AX numbers carry one A, AXE ones an extension length. */
function numbersOf(o: ClusterOptions, mode: Mode): NumberConfig[] {
  return Array.from({ length: o.numbers }, (_, i) => ({
    x: `+86171${String(i).padStart(8, "0")}`,
    ...CITIES[i % CITIES.length]!,
    ...(mode === "AXB" ? { capacity: o.capacity } : {}),
    ...(mode === "AXE" ? { capacity: o.capacity, extensionDigits: o.extensionDigits ?? 4 } : {}),
    ...(mode === "AXYB" ? { capacity: o.capacity } : {}),
  }));
}

export async function runCluster(o: ClusterOptions): Promise<ClusterReport> {
  const mode = o.mode ?? "AXB";
  const capacity = mode === "AX" ? 1 : o.capacity;
  const app = { appKey: "cluster-app", appSecret: "cluster-secret" };
  const pool: PoolConfig = { id: "rides", mode, numbers: numbersOf(o, mode) };
  const sim = await startSimulator({
    apps: [
      {
        ...app,
        mode,
        numbers: pool.numbers.map(({ x, city, province, capacity, extensionDigits }) => ({
          x,
          city,
          province,
          capacity,
          extensionDigits,
        })),
      },
    ],
    rateLimit: { requestsPerSecond: o.platformRequestsPerSecond },
  });
  const sharedRequestsPerSecond = o.sharedRequestsPerSecond ?? Math.floor(o.platformRequestsPerSecond * 0.95);
  const redis = new Redis(o.redisUrl);
  const started = performance.now();
  try {
    await redis.flushdb();
    const per = Math.ceil(o.orders / o.instances);
    const children = Array.from({ length: o.instances }, (_, index) => {
      const child = fork(fileURLToPath(new URL("./instance.ts", import.meta.url)), [], {
        execArgv: ["--conditions=@bindpool/source", "--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const config: InstanceConfig = {
        index,
        redisUrl: o.redisUrl,
        simUrl: sim.url,
        ...app,
        pool,
        cities: CITIES.map((c) => c.city),
        firstOrder: index * per,
        orders: Math.min(per, o.orders - index * per),
        concurrency: o.concurrencyPerInstance ?? 32,
        riders: 3_000,
        drivers: 2_000,
        keepOpen: 0.3,
        requestsPerSecond: sharedRequestsPerSecond,
      };
      const messages: InstanceMessage[] = [];
      let notify: () => void = () => {};
      child.on("message", (m: InstanceMessage) => {
        messages.push(m);
        notify();
      });
      const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
      const waitFor = async (type: InstanceMessage["type"]) => {
        for (;;) {
          const found = messages.find((m) => m.type === type);
          if (found) return found;
          const code = await Promise.race([
            new Promise<void>((r) => (notify = r)).then(() => undefined),
            exited,
          ]);
          if (code !== undefined && !messages.some((m) => m.type === type)) {
            throw new Error(`instance ${index} exited with code ${code} before ${type}`);
          }
        }
      };
      child.send({ type: "start", config });
      return { child, waitFor, exited };
    });

    const progress = setInterval(() => {
      const stats = sim.stats();
      o.onProgress?.(
        `  platform requests ${stats.requests}, bindings now ${sim.bindings(app.appKey).length}`,
      );
    }, 1_000);
    let phase1: Extract<InstanceMessage, { type: "phase1" }>[];
    try {
      phase1 = (await Promise.all(children.map((c) => c.waitFor("phase1")))) as typeof phase1;
    } finally {
      clearInterval(progress);
    }

    // Quiet state: every instance is done allocating. Check the store and the platform.
    const store = new RedisStore({ redis });
    const violations = await invariantViolations(store, pool.id);
    const entries = await store.entries(pool.id);
    const platform = sim.bindings(app.appKey);
    violations.push(
      ...platformViolations(mode, platform, capacity),
      ...agreementViolations(entries, platform),
    );

    for (const c of children) c.child.send({ type: "phase2" });
    await Promise.all(children.map((c) => c.waitFor("phase2")));
    await Promise.all(children.map((c) => c.exited));

    const stats = sim.stats();
    const failed: Record<string, number> = {};
    for (const m of phase1) for (const [k, v] of Object.entries(m.failed)) failed[k] = (failed[k] ?? 0) + v;
    return {
      allocated: phase1.reduce((s, m) => s + m.allocated, 0),
      failed,
      latenciesMs: phase1.flatMap((m) => m.latenciesMs),
      openBindings: platform.length,
      violations,
      maxPerSecond: stats.maxPerSecond[app.appKey] ?? 0,
      flowControlled: stats.byResultCode["1010010"] ?? 0,
      leakedInStore: (await store.entries(pool.id)).length,
      leakedOnPlatform: sim.bindings(app.appKey).length,
      elapsedMs: performance.now() - started,
    };
  } finally {
    await redis.quit();
    await sim.close();
  }
}
