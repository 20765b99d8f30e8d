import { MAX_CALLEE_SECONDS } from "../driver/index.js";
import { UnknownOrderError, UnknownPoolError, ValidationError } from "../errors/index.js";
import { type EventName, Events, type Listener } from "../events/index.js";
import { type ReconcileOptions, type ReconcileReport, reconcilePool } from "../lifecycle/reconciler.js";
import { type SweepReport, sweepPool } from "../lifecycle/sweeper.js";
import {
  type AllocateRequest,
  AllocateRequestSchema,
  type Binding,
  type Entry,
  internalKey,
  maskPhones,
  type NumberState,
  NumberStateSchema,
  OrderKeySchema,
  type Phone,
  PhoneSchema,
  toBinding,
} from "../model/index.js";
import { attachLogger, type Logger } from "../observability/logging.js";
import { OrderSerialiser } from "../orders/serialiser.js";
import { PlatformCalls } from "../platform/calls.js";
import type { Context } from "../repair/context.js";
import { unbindAndFree } from "../repair/outbox.js";
import { MODE_RULES } from "../rules/index.js";
import { type ParsedPool, realScheduler } from "../runtime/tuning.js";
import type { PoolStats } from "../store/index.js";
import { allocateOnce, platformError } from "./allocate.js";
import { parseCallOptions, ReconcileOptionsSchema, SweepOptionsSchema } from "./call-options.js";
import {
  type HoldRequest,
  HoldRequestSchema,
  releaseYBOf,
  requireAx,
  setCalleeOf,
  waitUntilEmpty,
} from "./mode-calls.js";
import { type AllocatorOptions, fromZod, parseOptions } from "./options.js";
import { PoolKeeper } from "./pool-keeper.js";
import { boundEntry, reassignOrder } from "./reassign.js";

/** How `complete`/`cancel` ended: unbound and freed, unbind queued for retry, or no such order. */
export type CompleteStatus = "released" | "pending" | "unknown";

/**
 * Allocates X numbers for orders: validate, reserve in the store, bind at the platform, confirm. Moves to
 * another X on exhaustion and conflict answers, quarantines abnormal numbers, backs off on transient
 * errors, and fails closed (throws) when no X can be had. Idempotent per orderKey.
 */
export class Allocator {
  private readonly ctx: Context;
  private readonly pools: Map<string, ParsedPool>;
  /** The X numbers of each pool, for membership checks (status pushes, operator calls). */
  private readonly numbersOf: Map<string, Set<Phone>>;
  private readonly events: Events;
  private readonly keeper: PoolKeeper;
  private readonly log: Logger | undefined;

  constructor(options: AllocatorOptions) {
    const { tuning, pools } = parseOptions(options);
    this.events = new Events(options.onListenerError);
    if (options.logger) attachLogger(this.events, options.logger);
    this.log = options.logger;
    const now = options.clock ?? Date.now;
    const scheduler = options.scheduler ?? realScheduler;
    this.ctx = {
      store: options.store,
      platform: new PlatformCalls(options.driver, tuning, this.events, now, scheduler),
      orders: new OrderSerialiser(options.lock, tuning.lockTtlMs),
      tuning,
      events: this.events,
      now,
      scheduler,
    };
    this.pools = new Map(pools.map((p) => [p.id, p]));
    this.numbersOf = new Map(pools.map((p) => [p.id, new Set(p.numbers.map((n) => n.x))]));
    this.keeper = new PoolKeeper(this.ctx, options.writePools ?? true);
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
  }

  /** The `logger` option: where bindpool's helpers (`instrumentAllocator`) log too. */
  get logger(): Logger | undefined {
    return this.log;
  }

  /** Errors thrown by event listeners so far. */
  get listenerErrors(): number {
    return this.events.listenerErrors;
  }

  /** The pools this allocator serves. */
  get poolIds(): string[] {
    return [...this.pools.keys()];
  }

  /**
   * Writes the configured pools into the store (unless `writePools: false`) and, for a pool the store
   * did not have (new, or lost), rebuilds it from the platform first. Called on first use; call it early
   * to fail fast.
   */
  async init(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => this.keeper.whenReady(p)));
  }

  /**
   * Binds A (and B in AXB) to an X for an order and returns the binding. A second call with the same
   * orderKey returns the same binding. Throws a `BindpoolError` (match on `code`) when none can be had.
   */
  async allocate(request: AllocateRequest): Promise<Binding> {
    const parsed = AllocateRequestSchema.safeParse(request);
    if (!parsed.success) throw fromZod("Invalid allocate request", parsed.error, request);
    const req = parsed.data;
    const pool = this.pool(req.pool);
    const needsB = MODE_RULES[pool.mode].needsB;
    if (needsB && req.b === undefined) {
      throw new ValidationError(`Pool "${pool.id}" is an ${pool.mode} pool: the request needs a b number.`, [
        { path: "b", message: `required in ${pool.mode} mode` },
      ]);
    }
    if (!needsB && req.b !== undefined) {
      throw new ValidationError(
        `Pool "${pool.id}" is an ${pool.mode} pool: a binding has no b number; leave b out.`,
        [{ path: "b", message: `not used in ${pool.mode} mode` }],
      );
    }
    return this.keeper.use(pool, () =>
      this.ctx.orders.run(pool.id, req.orderKey, () => allocateOnce(this.ctx, pool, req, [])),
    );
  }

  /**
   * Ends an order: unbinds at the platform and frees X. Idempotent: a repeated call, or a call for an
   * order never allocated, answers `unknown`. When the platform cannot be reached the unbind is kept in
   * the store and retried by the sweeper (`pending`); X stays held until it succeeds.
   */
  complete(orderKey: string, pool?: string): Promise<{ status: CompleteStatus }> {
    return this.end(orderKey, pool, "complete");
  }

  /** Cancels an order; the same as `complete`, reported with reason `cancel`. */
  cancel(orderKey: string, pool?: string): Promise<{ status: CompleteStatus }> {
    return this.end(orderKey, pool, "cancel");
  }

  /** Alias of `complete`. */
  release(orderKey: string, pool?: string): Promise<{ status: CompleteStatus }> {
    return this.end(orderKey, pool, "complete");
  }

  /**
   * The driver of an order changed: gives the order a new B. Uses the platform's modify on the same X
   * when the new B is free there; otherwise binds a new X first and then unbinds the old one, so the
   * order always has a working number. Returns the new binding.
   */
  async reassign(orderKey: string, change: { b: Phone }, pool?: string): Promise<Binding> {
    const p = this.pool(pool ?? this.onlyPool());
    const b = this.parse(PhoneSchema, change?.b, "b");
    if (p.mode !== "AXB")
      throw new ValidationError(`Pool "${p.id}" is an ${p.mode} pool: there is no B to reassign.`);
    this.parse(OrderKeySchema, orderKey, "orderKey");
    return this.keeper.use(p, () =>
      this.ctx.orders.run(p.id, orderKey, () => reassignOrder(this.ctx, p, orderKey, b)),
    );
  }

  /**
   * The order runs long: its binding (and the platform's, in AXB and AXE) now lives `ttlSeconds` from
   * now, plus the grace.
   */
  async extend(orderKey: string, ttlSeconds: number, pool?: string): Promise<Binding> {
    const p = this.pool(pool ?? this.onlyPool());
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 7_776_000) {
      throw new ValidationError(
        `ttlSeconds must be an integer from 1 to 7776000, got ${JSON.stringify(ttlSeconds)}.`,
        [{ path: "ttlSeconds", message: "out of range" }],
      );
    }
    this.parse(OrderKeySchema, orderKey, "orderKey");
    return this.keeper.use(p, () =>
      this.ctx.orders.run(p.id, orderKey, async () => {
        if (p.mode === "AXYB") {
          throw new ValidationError(
            `Pool "${p.id}" is an AXYB pool: the platform cannot change an AXYB binding's lifetime.`,
          );
        }
        const entry = await boundEntry(this.ctx, p, orderKey);
        const grace = this.ctx.tuning.graceSeconds;
        if (p.mode !== "AX") {
          // AX bindings never expire at the platform; AXB and AXE have a lifetime to move.
          const outcome = await this.ctx.platform.modify(p.mode, entry.subscriptionId!, {
            durationSeconds: ttlSeconds + grace,
          });
          if (outcome.kind !== "ok") throw platformError(outcome, this.ctx.tuning);
        }
        const untilMs = this.ctx.now() + (ttlSeconds + grace) * 1000;
        if ((await this.ctx.store.extend(p.id, orderKey, entry.token, untilMs)) !== "ok") {
          throw new UnknownOrderError(orderKey, p.id);
        }
        this.events.emit("extended", { pool: p.id, orderKey, expiresAtMs: untilMs });
        return { ...toBinding(entry), expiresAtMs: untilMs };
      }),
    );
  }

  /**
   * AX: the holder A is about to call someone through the order's X (a courier calling the customer):
   * sets the number A's next call through X reaches, for `ttlSeconds` (1 to 259 200, default 60; the
   * platform advises setting it within a minute before each call). A new one replaces the last.
   */
  async setCallee(
    orderKey: string,
    change: { callee: Phone; ttlSeconds?: number },
    pool?: string,
  ): Promise<{ x: Phone; expiresAtMs: number }> {
    const p = this.pool(pool ?? this.onlyPool());
    this.parse(OrderKeySchema, orderKey, "orderKey");
    const callee = this.parse(PhoneSchema, change?.callee, "callee");
    const ttlSeconds = change.ttlSeconds ?? 60;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_CALLEE_SECONDS) {
      throw new ValidationError(
        `ttlSeconds must be an integer from 1 to ${MAX_CALLEE_SECONDS}, got ${JSON.stringify(change.ttlSeconds)}.`,
        [{ path: "ttlSeconds", message: "out of range" }],
      );
    }
    requireAx(p, "a temporary callee");
    if (!this.ctx.platform.setsCallee) {
      throw new ValidationError("The platform driver cannot set a temporary callee (AX `setCallee`).");
    }
    return this.keeper.use(p, () =>
      this.ctx.orders.run(p.id, orderKey, () => setCalleeOf(this.ctx, p, orderKey, callee, ttlSeconds)),
    );
  }

  /**
   * AX: gives a holder (a courier for a shift) an X of its own, for `ttlSeconds` (default 12 hours;
   * `complete(holder)` ends it sooner). The same holder gets the same X again; one number holds at
   * most 5 X at once (`USER_LIMIT`). Route the holder's calls with `setCallee(holder, ...)`.
   */
  async hold(request: HoldRequest): Promise<Binding> {
    const parsed = HoldRequestSchema.safeParse(request);
    if (!parsed.success) throw fromZod("Invalid hold request", parsed.error, request);
    const { holder, ...rest } = parsed.data;
    requireAx(this.pool(rest.pool), "a hold");
    return this.allocate({ ...rest, orderKey: holder });
  }

  /**
   * AXYB: ends B's side of the order (the YB relation) at the platform while A stays reachable through X,
   * e.g. the driver's part is done but the rider may still be called back. `complete` ends the rest.
   */
  async releaseYB(orderKey: string, pool?: string): Promise<{ x: Phone }> {
    const p = this.pool(pool ?? this.onlyPool());
    this.parse(OrderKeySchema, orderKey, "orderKey");
    if (p.mode !== "AXYB") {
      throw new ValidationError(
        `Pool "${p.id}" is an ${p.mode} pool: only AXYB bindings have a YB relation.`,
      );
    }
    return this.keeper.use(p, () =>
      this.ctx.orders.run(p.id, orderKey, () => releaseYBOf(this.ctx, p, orderKey)),
    );
  }

  /**
   * Drains X (no new binds) and resolves once nothing is bound on it any more: its holders' shifts and
   * its orders ended. Looks every `pollMs` (default 1 s); `signal` stops the wait (X stays draining).
   */
  async drain(
    x: Phone,
    options: { pool?: string; pollMs?: number; signal?: AbortSignal } = {},
  ): Promise<void> {
    const p = this.pool(options.pool ?? this.onlyPool());
    const pollMs = options.pollMs ?? 1_000;
    if (!Number.isInteger(pollMs) || pollMs < 1) {
      throw new ValidationError(`pollMs must be a whole number of ms from 1, got ${JSON.stringify(pollMs)}.`);
    }
    await this.setNumberState(x, "draining", { pool: p.id });
    await this.keeper.use(p, () => waitUntilEmpty(this.ctx, p, x, pollMs, options.signal));
    this.events.emit("drained", { pool: p.id, x });
  }

  /** The current entry (reserved, bound or releasing) of an order, if any. */
  async get(orderKey: string, pool?: string): Promise<Entry | undefined> {
    const p = this.pool(pool ?? this.onlyPool());
    return this.keeper.use(p, () => this.ctx.store.get(p.id, orderKey));
  }

  /** Whether X is a configured number of the pool. */
  hasNumber(x: Phone, pool?: string): boolean {
    return this.numbersOf.get(this.pool(pool ?? this.onlyPool()).id)!.has(x);
  }

  /**
   * Operator call: moves X to a state. `draining` and `retired` take no new binds (existing ones finish);
   * `quarantined` takes none until `untilMs` (or until set `active`); `active` puts X back.
   */
  async setNumberState(
    x: Phone,
    state: NumberState,
    options: { pool?: string; untilMs?: number } = {},
  ): Promise<void> {
    const p = this.pool(options.pool ?? this.onlyPool());
    const number = this.parse(PhoneSchema, x, "x");
    this.parse(NumberStateSchema, state, "state");
    const { untilMs } = options;
    if (
      untilMs !== undefined &&
      (state !== "quarantined" || !Number.isSafeInteger(untilMs) || untilMs <= 0)
    ) {
      throw new ValidationError(
        `untilMs goes with "quarantined" only, as a time in ms since the epoch (got ${JSON.stringify(untilMs) ?? String(untilMs)} with "${state}").`,
        [{ path: "untilMs", message: "invalid" }],
      );
    }
    if (!this.hasNumber(number, p.id)) {
      throw new ValidationError(`${number} is not a number of pool "${p.id}".`, [
        { path: "x", message: "not in pool" },
      ]);
    }
    await this.keeper.use(p, () => this.ctx.store.setNumberState(p.id, number, state, options.untilMs));
    if (state === "quarantined")
      this.events.emit("quarantined", { pool: p.id, x: number, code: "OPERATOR", untilMs: options.untilMs });
  }

  /**
   * Load against capacity per pool and city (`city` "*" for numbers without one); X numbers that take no
   * new binds (draining, quarantined, retired) count neither. Every pool, or the one named. O(pool): for
   * dashboards and metrics.
   */
  async utilisation(
    pool?: string,
  ): Promise<{ pool: string; city: string; load: number; capacity: number }[]> {
    const targets = pool === undefined ? [...this.pools.values()] : [this.pool(pool)];
    const out: { pool: string; city: string; load: number; capacity: number }[] = [];
    for (const p of targets) {
      const cityOf = new Map(p.numbers.map((n) => [n.x, n.city ?? "*"]));
      const byCity = new Map<string, { load: number; capacity: number }>();
      for (const n of await this.keeper.use(p, () => this.ctx.store.numbers(p.id))) {
        if (n.state !== "active") continue;
        const city = cityOf.get(n.x) ?? "*";
        const acc = byCity.get(city) ?? { load: 0, capacity: 0 };
        acc.load += n.load;
        acc.capacity += n.capacity;
        byCity.set(city, acc);
      }
      for (const [city, v] of byCity) out.push({ pool: p.id, city, ...v });
    }
    return out;
  }

  /** Load and health of a pool. */
  async stats(pool?: string): Promise<PoolStats> {
    const p = this.pool(pool ?? this.onlyPool());
    return this.keeper.use(p, () => this.ctx.store.stats(p.id, this.ctx.now()));
  }

  /**
   * One sweep of a pool (all pools when none is named): frees reservations whose lease ended after asking
   * the platform whether the bind went through (adopting it if so), unbinds orders whose TTL passed, and
   * retries queued unbinds. Run it on one instance at a time (`startJobs` elects one).
   */
  sweep(options: { pool?: string; limit?: number; signal?: AbortSignal } = {}): Promise<SweepReport> {
    parseCallOptions(SweepOptionsSchema, "sweep", options);
    return this.acrossPools(options.pool, (p) =>
      sweepPool(this.ctx, p, options.limit ?? 500, options.signal),
    );
  }

  /**
   * Compares the platform's bindings with the store, X by X, and repairs the store: adopts or unbinds
   * bindings the store does not know, drops entries the platform no longer has. `adoptUnknown` rebuilds
   * a store after data loss (orders whose userData carries their orderKey keep it).
   */
  reconcile(options: ReconcileOptions & { pool?: string } = {}): Promise<ReconcileReport> {
    parseCallOptions(ReconcileOptionsSchema, "reconcile", options);
    return this.acrossPools(options.pool, (p) => reconcilePool(this.ctx, p, options));
  }

  /** Runs a job on the named pool, or on every pool, and adds up the counts it reports. */
  private async acrossPools<R extends { [K in keyof R]: number }>(
    pool: string | undefined,
    job: (p: ParsedPool) => Promise<R>,
  ): Promise<R> {
    const targets = pool ? [this.pool(pool)] : [...this.pools.values()];
    let total: R | undefined;
    for (const p of targets) {
      const r = await this.keeper.use(p, () => job(p)); // one pool after another: the jobs share the platform's rate limit
      if (total === undefined) total = { ...r };
      else for (const k of Object.keys(r) as (keyof R)[]) total[k] = (total[k] + r[k]) as R[keyof R];
    }
    return total!;
  }

  private async end(orderKey: string, pool: string | undefined, reason: "complete" | "cancel") {
    this.parse(OrderKeySchema, orderKey, "orderKey");
    const p = this.pool(pool ?? this.onlyPool());
    return this.keeper.use(p, () =>
      this.ctx.orders.run(p.id, orderKey, async () => {
        // A reassign that died halfway may have left a second binding of the order: it ends too. Both
        // reads go out at once, so completing costs no extra round trip.
        const [leftover, entry] = await Promise.all([
          this.ctx.store.get(p.id, internalKey("reassign", orderKey)),
          this.ctx.store.get(p.id, orderKey),
        ]);
        if (leftover !== undefined) await unbindAndFree(this.ctx, p, leftover, reason);
        if (entry === undefined) return { status: "unknown" as const };
        return { status: await unbindAndFree(this.ctx, p, entry, reason) };
      }),
    );
  }

  private parse<T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    v: unknown,
    path: string,
  ): T {
    const r = schema.safeParse(v);
    if (!r.success) {
      throw new ValidationError(`Invalid ${path}: ${maskPhones(JSON.stringify(v) ?? String(v))}.`, [
        { path, message: "invalid" },
      ]);
    }
    return r.data;
  }

  private pool(id: string): ParsedPool {
    const pool = this.pools.get(id);
    if (pool === undefined) throw new UnknownPoolError(id, [...this.pools.keys()]);
    return pool;
  }

  private onlyPool(): string {
    if (this.pools.size === 1) return this.pools.keys().next().value as string;
    throw new ValidationError("This allocator serves several pools: name the pool of the order.");
  }
}
