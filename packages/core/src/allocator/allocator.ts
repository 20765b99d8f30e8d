import type { Failure } from "../driver/index.js";
import {
  LeaseLostError,
  OrderConflictError,
  OrderPendingError,
  PlatformAuthError,
  PlatformRejectedError,
  PlatformUnavailableError,
  PoolExhaustedError,
  UnknownOrderError,
  UnknownPoolError,
  UserLimitError,
  ValidationError,
} from "../errors/index.js";
import { type EventName, Events, type Listener } from "../events/index.js";
import { type ReconcileOptions, type ReconcileReport, reconcilePool } from "../lifecycle/reconciler.js";
import { type SweepReport, settleLapsedReservation, sweepPool } from "../lifecycle/sweeper.js";
import {
  type AllocateRequest,
  AllocateRequestSchema,
  type Binding,
  type Entry,
  internalKey,
  type NumberState,
  NumberStateSchema,
  OrderKeySchema,
  type Phone,
  PhoneSchema,
  toBinding,
} from "../model/index.js";
import { attachLogger } from "../observability/logging.js";
import { capacityOf } from "../rules/index.js";
import type { PoolStats } from "../store/index.js";
import { Context, type ParsedPool } from "./context.js";
import { type AllocatorOptions, fromZod, parseOptions, realScheduler } from "./options.js";
import { mask, userDataFor } from "./user-data.js";

type Parsed = ReturnType<typeof AllocateRequestSchema.parse>;

/** What a bind attempt on one X came to. */
type Attempt =
  | { kind: "bound"; binding: Binding }
  | { kind: "next"; failure: Failure } // try another X
  | { kind: "fatal"; error: Error };

/** How `complete`/`cancel` ended: unbound and freed, unbind queued for retry, or no such order. */
export type CompleteStatus = "released" | "pending" | "unknown";

const TRANSIENT = new Set(["transient", "rateLimited", "timeout"]);
const UNCONFIRMED_MODIFY: Failure = {
  kind: "timeout",
  code: "MODIFY_UNCONFIRMED",
  message: "the platform did not confirm the modify; call reassign again to finish it",
};

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
  private ready: Promise<void> | undefined;
  private readonly writesPools: boolean;

  constructor(options: AllocatorOptions) {
    const { tuning, pools } = parseOptions(options);
    this.events = new Events(options.onListenerError);
    if (options.logger) attachLogger(this.events, options.logger);
    this.ctx = new Context(
      options.store,
      options.driver,
      tuning,
      this.events,
      options.clock ?? Date.now,
      options.lock,
      options.scheduler ?? realScheduler,
    );
    this.pools = new Map(pools.map((p) => [p.id, p]));
    this.numbersOf = new Map(pools.map((p) => [p.id, new Set(p.numbers.map((n) => n.x))]));
    this.writesPools = options.writePools ?? true;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
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
   * Writes the configured pools into the store (unless `writePools: false`). Called on first use; call it
   * early to fail fast.
   */
  init(): Promise<void> {
    if (!this.writesPools) return Promise.resolve();
    this.ready ??= this.writePools().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
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
    if (pool.mode === "AXB" && req.b === undefined) {
      throw new ValidationError(`Pool "${pool.id}" is an AXB pool: the request needs a b number.`, [
        { path: "b", message: "required in AXB mode" },
      ]);
    }
    if (pool.mode === "AX" && req.b !== undefined) {
      throw new ValidationError(`Pool "${pool.id}" is an AX pool: a binding has no b number; leave b out.`, [
        { path: "b", message: "not used in AX mode" },
      ]);
    }
    await this.init();
    return this.ctx.serialised(pool.id, req.orderKey, () => this.allocateOnce(pool, req, []));
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
      throw new ValidationError(`Pool "${p.id}" is an AX pool: there is no B to reassign.`);
    await this.init();
    return this.ctx.serialised(p.id, orderKey, async () => {
      const store = this.ctx.store;
      const entry = await this.boundEntry(p, orderKey);
      // A rebind to this B that a crash interrupted left its other half under this key: finish it.
      const tempKey = internalKey("reassign", `${orderKey}\u0000${b}`);
      const leftover = await store.get(p.id, tempKey);
      if (entry.b === b) {
        // A previous call may have died between the store and the platform: make the platform agree.
        const onPlatform = await this.ctx.querySubscription(p.mode, entry.subscriptionId!);
        if (onPlatform.kind !== "ok") throw this.platformError(onPlatform);
        if (onPlatform.value !== undefined && onPlatform.value.b !== b) {
          const modified = await this.modifyB(p, entry.subscriptionId!, b);
          if (modified !== "done") throw this.platformError(UNCONFIRMED_MODIFY);
        }
        if (leftover !== undefined) await this.ctx.unbindAndFree(p, leftover, "reassigned");
        return toBinding(entry);
      }
      if (entry.a === b) {
        throw new ValidationError("The new b must differ from a.", [{ path: "b", message: "equals a" }]);
      }
      if (leftover === undefined && (await store.changeB(p.id, orderKey, entry.token, b)) === "ok") {
        const modified = await this.modifyB(p, entry.subscriptionId!, b);
        if (modified === "done") {
          const binding = toBinding((await store.get(p.id, orderKey))!);
          this.events.emit("reassigned", { pool: p.id, orderKey, binding, via: "modify" });
          return binding;
        }
        // Unknown: keep the new B held; calling reassign again checks the platform and finishes.
        if (modified === "unknown") throw this.platformError(UNCONFIRMED_MODIFY);
        await store.changeB(p.id, orderKey, entry.token, entry.b!); // refused: the old binding stands
      }
      // The new B is on that X already (or the modify failed): bind a new X, move the order to it, then
      // unbind the old one, so the order always has a working number.
      const remainingSeconds =
        Math.ceil((entry.untilMs - this.ctx.now()) / 1000) - this.ctx.tuning.graceSeconds;
      const fresh = await this.allocateOnce(
        p,
        {
          pool: p.id,
          orderKey: tempKey,
          a: entry.a,
          b,
          ttlSeconds: Math.max(1, remainingSeconds),
          userData: userDataFor(orderKey),
        },
        [entry.x],
      );
      await store.swap(p.id, orderKey, tempKey);
      const old = await store.get(p.id, tempKey);
      if (old !== undefined) await this.ctx.unbindAndFree(p, old, "reassigned");
      const binding = { ...fresh, orderKey };
      this.events.emit("reassigned", { pool: p.id, orderKey, binding, via: "rebind" });
      return binding;
    });
  }

  /** Moves a binding to a new B with the platform's modify; when the answer is lost, asks the platform. */
  private async modifyB(
    p: ParsedPool,
    subscriptionId: string,
    b: Phone,
  ): Promise<"done" | "refused" | "unknown"> {
    const outcome = await this.ctx.modify(p.mode, subscriptionId, { b });
    if (outcome.kind === "ok") return "done";
    if (!TRANSIENT.has(outcome.kind)) return "refused";
    const now = await this.ctx.querySubscription(p.mode, subscriptionId);
    if (now.kind !== "ok" || now.value === undefined) return "unknown";
    return now.value.b === b ? "done" : "refused";
  }

  /** The order runs long: its binding (and the platform's, in AXB) now lives `ttlSeconds` from now, plus the grace. */
  async extend(orderKey: string, ttlSeconds: number, pool?: string): Promise<Binding> {
    const p = this.pool(pool ?? this.onlyPool());
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 7_776_000) {
      throw new ValidationError(
        `ttlSeconds must be an integer from 1 to 7776000, got ${JSON.stringify(ttlSeconds)}.`,
        [{ path: "ttlSeconds", message: "out of range" }],
      );
    }
    await this.init();
    return this.ctx.serialised(p.id, orderKey, async () => {
      const entry = await this.boundEntry(p, orderKey);
      const grace = this.ctx.tuning.graceSeconds;
      if (p.mode === "AXB") {
        // AX bindings never expire at the platform; only AXB has a lifetime to move.
        const outcome = await this.ctx.modify(p.mode, entry.subscriptionId!, {
          durationSeconds: ttlSeconds + grace,
        });
        if (outcome.kind !== "ok") throw this.platformError(outcome);
      }
      const untilMs = this.ctx.now() + (ttlSeconds + grace) * 1000;
      if ((await this.ctx.store.extend(p.id, orderKey, entry.token, untilMs)) !== "ok") {
        throw new UnknownOrderError(orderKey, p.id);
      }
      this.events.emit("extended", { pool: p.id, orderKey, expiresAtMs: untilMs });
      return { ...toBinding(entry), expiresAtMs: untilMs };
    });
  }

  /** The current entry (reserved, bound or releasing) of an order, if any. */
  async get(orderKey: string, pool?: string): Promise<Entry | undefined> {
    const p = this.pool(pool ?? this.onlyPool());
    return this.ctx.store.get(p.id, orderKey);
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
    if (!this.hasNumber(number, p.id)) {
      throw new ValidationError(`${number} is not a number of pool "${p.id}".`, [
        { path: "x", message: "not in pool" },
      ]);
    }
    await this.init();
    await this.ctx.store.setNumberState(p.id, number, state, options.untilMs);
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
    await this.init();
    const out: { pool: string; city: string; load: number; capacity: number }[] = [];
    for (const p of targets) {
      const cityOf = new Map(p.numbers.map((n) => [n.x, n.city ?? "*"]));
      const byCity = new Map<string, { load: number; capacity: number }>();
      for (const n of await this.ctx.store.numbers(p.id)) {
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
    await this.init();
    return this.ctx.store.stats(p.id, this.ctx.now());
  }

  /**
   * One sweep of a pool (all pools when none is named): frees reservations whose lease ended after asking
   * the platform whether the bind went through (adopting it if so), unbinds orders whose TTL passed, and
   * retries queued unbinds. Run it on one instance at a time (`startJobs` elects one).
   */
  sweep(options: { pool?: string; limit?: number; signal?: AbortSignal } = {}): Promise<SweepReport> {
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
    return this.acrossPools(options.pool, (p) => reconcilePool(this.ctx, p, options));
  }

  /** Runs a job on the named pool, or on every pool, and adds up the counts it reports. */
  private async acrossPools<R extends { [K in keyof R]: number }>(
    pool: string | undefined,
    job: (p: ParsedPool) => Promise<R>,
  ): Promise<R> {
    const targets = pool ? [this.pool(pool)] : [...this.pools.values()];
    await this.init();
    let total: R | undefined;
    for (const p of targets) {
      const r = await job(p); // one pool after another: the jobs share the platform's rate limit
      if (total === undefined) total = { ...r };
      else for (const k of Object.keys(r) as (keyof R)[]) total[k] = (total[k] + r[k]) as R[keyof R];
    }
    return total!;
  }

  private async end(orderKey: string, pool: string | undefined, reason: "complete" | "cancel") {
    this.parse(OrderKeySchema, orderKey, "orderKey");
    const p = this.pool(pool ?? this.onlyPool());
    await this.init();
    return this.ctx.serialised(p.id, orderKey, async () => {
      const entry = await this.ctx.store.get(p.id, orderKey);
      if (entry === undefined) return { status: "unknown" as const };
      return { status: await this.ctx.unbindAndFree(p, entry, reason) };
    });
  }

  private async allocateOnce(pool: ParsedPool, req: Parsed, initialExclude: Phone[]): Promise<Binding> {
    const { store, tuning, now } = this.ctx;
    const started = now();
    const exclude = [...initialExclude];
    const deadline = started + (tuning.pendingWaitMs ?? tuning.leaseMs);
    let lastFailure = "no X matched the pair";
    for (let attempt = 1; attempt <= tuning.maxAttempts; ) {
      const reserved = await store.reserve({
        pool: pool.id,
        orderKey: req.orderKey,
        a: req.a,
        b: req.b,
        area: req.area,
        preferX: req.preferX,
        exclude,
        strategy: tuning.strategy,
        leaseMs: tuning.leaseMs,
        nowMs: now(),
      });
      if (!reserved.ok) {
        if (reserved.reason === "userLimit") {
          throw new UserLimitError(
            `${mask(req.a)} already holds the most X numbers its mode allows in pool "${pool.id}". Complete one of its orders first.`,
          );
        }
        throw new PoolExhaustedError(pool.id, lastFailure, attempt - 1);
      }
      const entry = reserved.entry;
      if (reserved.existing) {
        if (entry.a !== req.a || entry.b !== req.b) {
          throw new OrderConflictError(req.orderKey, `for another pair (${mask(entry.a)}/${mask(entry.b)})`);
        }
        if (entry.status === "bound") return toBinding(entry);
        if (entry.status === "releasing")
          throw new OrderConflictError(req.orderKey, "and is being completed");
        // This call holds the order's lock, so no live caller is binding the reservation: its holder died
        // or gave up with the bind's outcome unknown. Settle it now (adopt the binding or free X) instead
        // of waiting for its lease. Without a lock shared by all instances, another instance may be
        // binding it: wait for its lease.
        if (this.ctx.sharedLock || entry.untilMs <= now()) {
          if ((await settleLapsedReservation(this.ctx, pool, entry)) === "adopted") continue;
          if ((await store.get(pool.id, req.orderKey)) === undefined) continue;
          // The platform cannot say whether the bind went through: the caller retries later.
          if (this.ctx.sharedLock)
            throw new OrderPendingError(req.orderKey, now() - started, tuning.lockTtlMs);
        }
        if (now() >= deadline) {
          throw new OrderPendingError(req.orderKey, now() - started, Math.max(1, entry.untilMs - now()));
        }
        await this.ctx.scheduler.sleep(Math.min(50, Math.max(1, deadline - now())));
        continue; // another caller is binding it; look again
      }
      const result = await this.bindReserved(pool, req, entry);
      if (result.kind === "bound") {
        this.events.emit("allocated", {
          binding: result.binding,
          attempts: attempt,
          latencyMs: now() - started,
        });
        return result.binding;
      }
      if (result.kind === "fatal") throw result.error;
      lastFailure = `last answer ${result.failure.kind} ${result.failure.code} on ${entry.x}`;
      exclude.push(entry.x);
      attempt++;
    }
    throw new PoolExhaustedError(pool.id, lastFailure, tuning.maxAttempts);
  }

  /** Binds a reserved X at the platform and confirms it, or cleans up and says what to do next. */
  private async bindReserved(pool: ParsedPool, req: Parsed, entry: Entry): Promise<Attempt> {
    const { store, tuning, now } = this.ctx;
    const durationSeconds = req.ttlSeconds + tuning.graceSeconds;
    // The orderKey rides along as userData (unless the caller sets its own) so a reconcile can rebuild orders.
    const userData = req.userData ?? userDataFor(req.orderKey);
    const bind = () =>
      this.ctx.withRetries(entry, () => this.ctx.bind(pool, entry, durationSeconds, userData));
    let outcome = await bind();
    // A timeout, or a conflict (maybe after a retry whose first try went through before the connection
    // dropped), may mean our own bind exists: look before binding again or moving on.
    for (let i = 0; outcome.kind === "timeout" || outcome.kind === "conflict"; i++) {
      const found = await this.ctx.findBinding(pool.mode, entry);
      // The platform cannot say: keep the reservation; its lease ends and the sweeper asks again.
      if (found.kind !== "ok") return { kind: "fatal", error: new PlatformUnavailableError(found, i + 1) };
      if (found.value !== undefined) {
        outcome = { kind: "ok", value: { subscriptionId: found.value.subscriptionId, x: entry.x } };
        break;
      }
      if (outcome.kind === "conflict") break; // another binding holds a user of the pair on X
      if (i >= tuning.transientRetries) {
        // Still unknown: keep the reservation; its lease ends and the sweeper asks the platform again.
        return { kind: "fatal", error: new PlatformUnavailableError(outcome, i + 1) };
      }
      outcome = await bind();
    }

    if (outcome.kind === "ok") {
      const subscriptionId = outcome.value.subscriptionId;
      const untilMs = now() + durationSeconds * 1000;
      const confirmed = await store.confirm({
        pool: pool.id,
        orderKey: req.orderKey,
        token: entry.token,
        subscriptionId,
        untilMs,
        nowMs: now(),
      });
      if (confirmed === "ok") {
        return {
          kind: "bound",
          binding: {
            pool: pool.id,
            orderKey: req.orderKey,
            x: entry.x,
            a: req.a,
            b: req.b,
            subscriptionId,
            expiresAtMs: untilMs,
          },
        };
      }
      // Never keep a binding the store does not own.
      await this.ctx.unbindOrphan(pool, { ...entry, subscriptionId });
      this.events.emit("leaseLost", { pool: pool.id, orderKey: req.orderKey, x: entry.x });
      return { kind: "fatal", error: new LeaseLostError(req.orderKey) };
    }

    await store.release(pool.id, req.orderKey, entry.token);
    const failure = outcome;
    const retried = () =>
      this.events.emit("retried", {
        pool: pool.id,
        orderKey: req.orderKey,
        x: entry.x,
        reason: failure.kind,
        code: failure.code,
      });
    switch (failure.kind) {
      case "conflict":
        // A binding the store does not know holds a user of the pair on X (our own was ruled out above):
        // fence that user off X and leave X to everyone else; if that fails, cool X down like a full one.
        if (!(await this.ctx.fenceBlockers(pool, entry))) {
          await store.cooldown(pool.id, entry.x, now() + tuning.cooldownMs);
        }
        retried();
        return { kind: "next", failure };
      case "exhausted":
        // Full: keep X out of picks for a while instead of every next pair trying it.
        await store.cooldown(pool.id, entry.x, now() + tuning.cooldownMs);
        retried();
        return { kind: "next", failure };
      case "numberAbnormal": {
        const untilMs = tuning.quarantineMs > 0 ? now() + tuning.quarantineMs : undefined;
        await store.setNumberState(pool.id, entry.x, "quarantined", untilMs);
        this.events.emit("quarantined", { pool: pool.id, x: entry.x, code: failure.code, untilMs });
        retried();
        return { kind: "next", failure };
      }
      case "userLimit":
        return {
          kind: "fatal",
          error: new UserLimitError(
            `The platform says ${mask(req.a)} already holds the most X numbers allowed (${failure.code}: ${failure.message}).`,
          ),
        };
      default:
        return { kind: "fatal", error: this.platformError(failure) };
    }
  }

  private platformError(failure: Failure): Error {
    if (failure.kind === "auth") return new PlatformAuthError(failure);
    if (TRANSIENT.has(failure.kind))
      return new PlatformUnavailableError(failure, this.ctx.tuning.transientRetries + 1);
    return new PlatformRejectedError(failure);
  }

  private async boundEntry(p: ParsedPool, orderKey: string): Promise<Entry> {
    this.parse(OrderKeySchema, orderKey, "orderKey");
    const entry = await this.ctx.store.get(p.id, orderKey);
    if (entry?.status !== "bound") throw new UnknownOrderError(orderKey, p.id);
    return entry;
  }

  private parse<T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    v: unknown,
    path: string,
  ): T {
    const r = schema.safeParse(v);
    if (!r.success) {
      throw new ValidationError(`Invalid ${path}: ${JSON.stringify(v) ?? String(v)}.`, [
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

  private async writePools(): Promise<void> {
    for (const pool of this.pools.values()) {
      await this.ctx.store.upsertPool(
        pool.id,
        pool.mode,
        pool.numbers.map((n) => ({
          x: n.x,
          city: n.city,
          province: n.province,
          capacity: capacityOf(pool.mode, n.capacity),
        })),
      );
      for (const n of pool.numbers)
        if (n.state !== undefined) await this.ctx.store.setNumberState(pool.id, n.x, n.state);
    }
  }
}
