import {
  Allocator,
  BindpoolError,
  type Entry,
  JOB_ELECTIONS,
  type JobLeader,
  MemoryStore,
  type OrderLock,
  type PoolConfig,
} from "@bindpool/core";
import {
  type World as CheckedWorld,
  checkFinal,
  checkLiveOrders,
  checkStore,
  type OrderRecord,
  PlatformRules,
  type Violation,
} from "./checker.js";
import { type OrderPlan, runOrder } from "./clients.js";
import { SimLock } from "./lock.js";
import { NO_FAULTS, PlatformModel } from "./platform.js";
import { Random } from "./random.js";
import { driver, type PoolPlan, rider, type Scenario } from "./scenario.js";
import { SimScheduler } from "./scheduler.js";
import { Trace } from "./trace.js";
import { watched } from "./watched-store.js";

/** Virtual start time: any fixed instant works; this one reads well in logs. */
const START_MS = Date.UTC(2030, 0, 1);
/** Most events one run may take; a run that needs more is stuck. */
const MAX_STEPS = 3_000_000;

export type CallResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "error"; code: string; message: string }
  | { kind: "disconnected" };

interface Instance {
  readonly id: string;
  readonly alloc: Allocator;
  readonly lock: OrderLock & JobLeader;
  alive: boolean;
  /** Calls in flight on it: a kill fails them like a dropped connection. */
  readonly disconnects: Set<() => void>;
}

export interface RunResult {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly violation: (Violation & { readonly step: number; readonly atMs: number }) | undefined;
  readonly steps: number;
  readonly traceHash: string;
  readonly traceLines: number;
  readonly tail: readonly string[];
  readonly orders: number;
  readonly virtualMs: number;
}

/**
 * One run: N allocator instances sharing a MemoryStore, the lock and the platform model, driven by a
 * seeded workload, killed, paused and cut off at random, with the sweeper and reconciler fired at random
 * moments, the invariants checked after every event, then a final quiesce and the end-state check.
 */
export class World {
  readonly sched: SimScheduler;
  readonly platform: PlatformModel;
  /** The shared data every instance's connection reaches; `loseData` makes it forget everything. */
  private readonly base: MemoryStore;
  /** A new connection to the shared store, for one instance. */
  private readonly storeView: () => MemoryStore;
  /** The checker's connection. */
  readonly store: MemoryStore;
  private readonly storeVersion: () => number;
  readonly lock: SimLock;
  readonly orders = new Map<string, OrderRecord>();
  /** The X each rider got last (for sticky `preferX`). */
  readonly lastX = new Map<string, string>();
  stopping = false;
  private readonly random: Random;
  private readonly instances: Instance[] = [];
  private nextInstance = 1;
  private nextOrder = 1;
  private nextRider = 1;
  private nextDriver = 1;
  /** Answers clients got so far: what they believe changes only with one. */
  private answers = 0;
  /** Client operations in flight (with their retries). */
  private busy = 0;
  private violation: RunResult["violation"];
  private readonly pools: PoolConfig[];
  private readonly rules: PlatformRules;
  /** Platform history replayed into `rules` so far. */
  private rulesSeen = 0;

  constructor(
    readonly scenario: Scenario,
    options: { print?: (line: string) => void; keep?: number } = {},
  ) {
    const trace = new Trace(options.keep ?? 40, START_MS, options.print);
    this.random = new Random(scenario.seed);
    this.sched = new SimScheduler(START_MS, this.random.fork(), trace);
    this.platform = new PlatformModel(
      this.sched,
      scenario.pools.flatMap((p) => p.numbers.map((n) => ({ x: n.x, mode: p.mode, capacity: n.capacity }))),
    );
    this.platform.faults = scenario.faults;
    let generations = 0;
    this.base = new MemoryStore({ generationId: () => `g${++generations}` });
    ({ view: this.storeView, version: this.storeVersion } = watched(this.base));
    // The checker's own connection: it accepts no generation, so it reads whatever the store holds.
    this.store = this.base.connect();
    this.lock = new SimLock(this.sched);
    this.lock.extendFailure = scenario.lockExtendFailure;
    this.pools = scenario.pools.map((p) => ({
      id: p.id,
      mode: p.mode,
      numbers: p.numbers.map((n) =>
        p.mode === "AXB"
          ? { x: n.x, capacity: n.capacity }
          : p.mode === "AXE"
            ? { x: n.x, capacity: n.capacity, extensionDigits: 1 }
            : { x: n.x },
      ),
    }));
    this.rules = new PlatformRules(
      new Set(scenario.pools.filter((p) => p.mode === "AX").flatMap((p) => p.numbers.map((n) => n.x))),
    );
  }

  async run(): Promise<RunResult> {
    const s = this.scenario;
    for (let i = 0; i < s.instances; i++) this.spawn();
    this.startWorkload();
    this.startChaos();
    const endMs = START_MS + s.runMs;
    await this.runUntil(() => this.sched.nowMs >= endMs);
    if (this.violation === undefined) await this.quiesce();
    return {
      seed: s.seed,
      scenario: s,
      violation: this.violation,
      steps: this.sched.steps,
      traceHash: this.sched.trace.hash,
      traceLines: this.sched.trace.count,
      tail: this.sched.trace.lastLines(),
      orders: this.nextOrder - 1,
      virtualMs: this.sched.nowMs - START_MS,
    };
  }

  /**
   * Calls an instance (a random live one) like a client over the network, retrying what `retry` allows
   * up to `attempts` times with backoff. A non-`BindpoolError` from the library is a violation.
   */
  async retrying<T>(
    label: string,
    attempts: number,
    retry: (r: CallResult<unknown>) => boolean,
    fn: (alloc: Allocator) => Promise<T>,
  ): Promise<CallResult<T>> {
    this.busy++;
    try {
      for (let i = 1; ; i++) {
        const r = await this.call(label, fn);
        if (r.kind === "ok" || i >= attempts || !retry(r)) return r;
        await this.sched.sleep(Math.min(2_000, 100 * 2 ** i) * (0.5 + this.random.next()));
      }
    } finally {
      this.busy--;
    }
  }

  private call<T>(label: string, fn: (alloc: Allocator) => Promise<T>): Promise<CallResult<T>> {
    const inst = this.random.pick(this.instances.filter((i) => i.alive));
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: CallResult<T>) => {
        if (settled) return;
        settled = true;
        inst.disconnects.delete(disconnect);
        this.answers++;
        this.sched.log(`${label} <- ${inst.id}: ${describe(r)}`);
        resolve(r);
      };
      const disconnect = () => settle({ kind: "disconnected" });
      inst.disconnects.add(disconnect);
      this.sched.log(`${label} -> ${inst.id}`);
      // The call starts as the instance's own event: a paused instance takes it late, a dead one never.
      this.sched.at(
        1,
        () => {
          fn(inst.alloc).then(
            (value) => settle({ kind: "ok", value }),
            (error: unknown) => {
              if (!(error instanceof BindpoolError)) {
                this.fail({ kind: "untypedError", message: `${label} threw ${String(error)}` });
                settle({ kind: "error", code: "UNTYPED", message: String(error) });
              } else settle({ kind: "error", code: error.code, message: error.message });
            },
          );
        },
        inst.id,
      );
    });
  }

  private spawn(): Instance {
    const id = `i${this.nextInstance++}`;
    const s = this.scenario;
    const lock = this.lock.forOwner(id);
    const alloc = new Allocator({
      store: this.storeView(),
      driver: this.platform.driverFor(id),
      pools: this.pools,
      lock,
      clock: this.sched.clock,
      scheduler: this.sched.forOwner(id),
      leaseMs: s.leaseMs,
      lockTtlMs: s.lockTtlMs,
      graceSeconds: s.graceSeconds,
      cooldownMs: 3_000,
      quarantineMs: 10_000,
      backoffMs: 20,
      maxBackoffMs: 500,
      unbindRetryMs: 1_000,
      adoptTtlSeconds: 120,
      strategy: { name: s.strategy },
    });
    // The repairs' own events, for reading a trace; allocations and releases show in the client lines.
    const log = (text: string) => this.sched.log(`${id} ${text}`);
    alloc.on("reconciled", (e) => log(`reconciler ${e.action} ${e.subscriptionId} on ${e.x}`));
    alloc.on("adopted", (e) => log(`${e.by} adopted ${e.subscriptionId} as ${e.orderKey}`));
    alloc.on("leaseLost", (e) => log(`lease lost ${e.orderKey}`));
    alloc.on("leaseExpired", (e) => log(`sweeper freed lapsed ${e.orderKey}`));
    alloc.on("fenced", (e) => log(`fenced ${e.subscriptionId} on ${e.x}`));
    alloc.on("unbindQueued", (e) => log(`unbind queued ${e.orderKey} (${e.code})`));
    alloc.on("quarantined", (e) => log(`quarantined ${e.x} (${e.code})`));
    alloc.on("reassigned", (e) => log(`reassigned ${e.orderKey} via ${e.via}`));
    const inst: Instance = { id, alloc, lock, alive: true, disconnects: new Set() };
    this.instances.push(inst);
    this.sched.log(`${id} started`);
    return inst;
  }

  private kill(inst: Instance): void {
    inst.alive = false;
    this.sched.kill(inst.id);
    this.sched.log(`${inst.id} KILLED`);
    for (const d of [...inst.disconnects]) d();
  }

  /** Runs the sweeper or the reconciler on a random live instance, under the job's election. */
  runJob(job: "sweeper" | "reconciler"): Promise<boolean> {
    const inst = this.random.pick(this.instances.filter((i) => i.alive));
    const run = (signal?: AbortSignal): Promise<unknown> =>
      job === "sweeper" ? inst.alloc.sweep({ signal }) : inst.alloc.reconcile({ signal });
    return new Promise((resolve) => {
      this.sched.at(
        1,
        () => {
          inst.lock.elect(JOB_ELECTIONS[job], this.scenario.leaseMs, run).then(
            (r) => {
              if (r.leader)
                this.sched.log(`${inst.id} ${job}: ${JSON.stringify(r.result).replace(/"/g, "")}`);
              resolve(r.leader);
            },
            (error: unknown) => {
              if (!(error instanceof BindpoolError)) {
                this.fail({ kind: "untypedError", message: `${job} threw ${String(error)}` });
              }
              this.sched.log(`${inst.id} ${job} failed: ${String(error)}`);
              resolve(false);
            },
          );
        },
        inst.id,
      );
    });
  }

  private startWorkload(): void {
    const w = this.scenario.workload;
    for (let i = 0; i < w.burst; i++) {
      const lifetime = this.random.between(w.burstLifetimeMs[0], w.burstLifetimeMs[1]);
      this.sched.at(this.random.int(3_000), () => void runOrder(this, this.plan(lifetime)));
    }
    const arrive = () => {
      if (this.stopping) return;
      void runOrder(this, this.plan(this.random.between(w.lifetimeMs[0], w.lifetimeMs[1])));
      this.sched.at(this.exponential(1_000 / w.perSecond), arrive);
    };
    this.sched.at(this.exponential(1_000 / w.perSecond), arrive);
  }

  private plan(lifetimeMs: number): OrderPlan {
    const w = this.scenario.workload;
    const r = this.random;
    // Orders of the pools without B (AX, AXE) come at `axShare`, spread over those pools.
    const others = this.scenario.pools.filter((p) => p.mode !== "AXB");
    const pool: PoolPlan =
      others.length > 0 && r.chance(w.axShare) ? others[r.int(others.length)]! : this.scenario.pools[0]!;
    const a = w.riders === 0 ? rider(this.nextRider++) : rider(r.int(w.riders));
    const newDriver = () => (w.drivers === 0 ? driver(this.nextDriver++) : driver(r.int(w.drivers)));
    const b = pool.mode === "AXB" ? newDriver() : undefined;
    let reassign: OrderPlan["reassign"];
    if (pool.mode === "AXB" && r.chance(w.reassignChance)) {
      let newB = newDriver();
      while (newB === b) newB = newDriver();
      reassign = { afterMs: r.int(lifetimeMs), newB };
    }
    const sticky = this.scenario.shape === "paging" ? pool.numbers[0]!.x : this.lastX.get(a);
    return {
      orderKey: `${w.keyPrefix}o${this.nextOrder++}`,
      pool,
      a,
      b,
      lifetimeMs,
      preferX: r.chance(w.stickyChance) ? sticky : undefined,
      reassign,
      extendAfterMs: r.chance(w.extendChance) ? r.int(lifetimeMs) : undefined,
    };
  }

  /** Kills, pauses, data loss and the jobs, each at random moments. */
  private startChaos(): void {
    const s = this.scenario;
    const every = (meanMs: number, fn: () => void) => {
      if (!Number.isFinite(meanMs)) return;
      const tick = () => {
        if (this.stopping) return;
        fn();
        this.sched.at(this.exponential(meanMs), tick);
      };
      this.sched.at(this.exponential(meanMs), tick);
    };
    every(60_000 / s.killsPerMinute, () => {
      const alive = this.instances.filter((i) => i.alive);
      this.kill(this.random.pick(alive));
      if (alive.length === 1) this.spawn();
      else this.sched.at(this.random.between(200, 1_000), () => this.spawn());
    });
    every(60_000 / s.pausesPerMinute, () => {
      const inst = this.random.pick(this.instances.filter((i) => i.alive));
      const ms = this.random.between(s.pauseMs[0], s.pauseMs[1]);
      this.sched.pause(inst.id, this.sched.nowMs + ms);
      this.sched.log(`${inst.id} PAUSED for ${ms} ms`);
    });
    const jobs = (job: "sweeper" | "reconciler", range: readonly [number, number]) => {
      const tick = () => {
        if (this.stopping) return;
        void this.runJob(job);
        this.sched.at(this.random.between(range[0], range[1]), tick);
      };
      this.sched.at(this.random.between(range[0], range[1]), tick);
    };
    jobs("sweeper", s.sweepEveryMs);
    jobs("reconciler", s.reconcileEveryMs);
    if (s.dataLoss) {
      this.sched.at(this.random.between(s.runMs / 5, (s.runMs * 4) / 5), () => {
        this.base.loseData();
        for (const o of this.orders.values()) {
          if (o.state === "live") o.storeUnsure = true;
          if ((o.state === "ended" || o.state === "failed") && !o.endDone) o.mayReturn = true;
        }
        this.sched.log("STORE LOST ITS DATA");
      });
    }
  }

  /**
   * Faults off, pauses lifted, every client call answered, leases and queued unbinds come due, then the
   * sweeper and the reconciler run to the end, and the end state is checked.
   */
  private async quiesce(): Promise<void> {
    this.stopping = true;
    this.sched.log("QUIESCE: faults off");
    this.platform.faults = { ...NO_FAULTS, timeoutMs: this.scenario.faults.timeoutMs };
    this.lock.extendFailure = 0;
    this.sched.unpauseAll();
    await this.runUntil(() => this.busy === 0);
    await this.runFor(2 * this.scenario.leaseMs + 2_000);
    for (const job of ["sweeper", "reconciler", "sweeper", "reconciler", "sweeper"] as const) {
      for (;;) {
        if (this.violation !== undefined) return;
        let leader: boolean | undefined;
        void this.runJob(job).then((l) => {
          leader = l;
        });
        await this.runUntil(() => leader !== undefined);
        if (leader) break;
        await this.runFor(this.scenario.leaseMs);
      }
    }
    await this.runUntil(() => this.busy === 0);
    if (this.violation === undefined) this.report(await checkFinal(this.view()));
  }

  private async runFor(ms: number): Promise<void> {
    let done = false;
    this.sched.at(ms, () => {
      done = true;
    });
    await this.runUntil(() => done);
  }

  /** Steps until `done` (or a violation), checking the invariants after every event. */
  private async runUntil(done: () => boolean): Promise<void> {
    // What each check reads, as last checked: a check runs again only when that changed.
    let seen = { platform: this.rulesSeen, store: -1, answers: -1 };
    while (this.violation === undefined && !done()) {
      if (this.sched.steps >= MAX_STEPS || !(await this.sched.step())) {
        this.fail({ kind: "stuck", message: `the run did not settle (${this.sched.steps} events)` });
        return;
      }
      const now = { platform: this.platform.log.length, store: this.storeVersion(), answers: this.answers };
      const view = this.view();
      if (now.platform !== seen.platform || now.answers !== seen.answers) {
        this.report(checkLiveOrders(view));
      }
      for (let i = seen.platform; i < now.platform; i++) this.report(this.rules.apply(this.platform.log[i]!));
      if (this.violation === undefined && (now.store !== seen.store || now.answers !== seen.answers)) {
        this.report(await checkStore(view));
      }
      seen = now;
      this.rulesSeen = now.platform;
    }
  }

  private view(): CheckedWorld {
    return {
      nowMs: this.sched.nowMs,
      orders: { [Symbol.iterator]: () => this.orders.values() },
      platform: this.platform,
      platformBindings: () => this.platform.all(),

      storeEntries: async () => {
        const out = new Map<string, Map<string, Entry>>();
        for (const p of this.pools) {
          out.set(p.id, new Map((await this.store.entries(p.id)).map((e) => [e.orderKey, e])));
        }
        return out;
      },
    };
  }

  private report(v: Violation | undefined): void {
    if (v !== undefined) this.fail(v);
  }

  private fail(v: Violation): void {
    if (this.violation !== undefined) return;
    this.violation = { ...v, step: this.sched.steps, atMs: this.sched.nowMs - START_MS };
    this.sched.log(`VIOLATION ${v.kind}: ${v.message}`);
  }

  private exponential(meanMs: number): number {
    return -Math.log(1 - this.random.next()) * meanMs;
  }
}

function describe(r: CallResult<unknown>): string {
  if (r.kind === "disconnected") return "disconnected";
  if (r.kind === "error") return r.code;
  const v = r.value as Partial<{ subscriptionId: string; x: string; b: string; status: string }> | undefined;
  if (v?.subscriptionId !== undefined) return `ok ${v.subscriptionId} x=${v.x} b=${v.b ?? "-"}`;
  return `ok ${v?.status ?? ""}`;
}
