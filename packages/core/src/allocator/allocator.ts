import type { Failure, Outcome, PlatformDriver } from "../driver/index.js";
import {
  LeaseLostError,
  OrderConflictError,
  OrderPendingError,
  PlatformAuthError,
  PlatformRejectedError,
  PlatformUnavailableError,
  PoolExhaustedError,
  UnknownPoolError,
  UserLimitError,
  ValidationError,
} from "../errors/index.js";
import { type AllocatorEvents, type EventName, Events, type Listener } from "../events/index.js";
import type { OrderLock } from "../lock/index.js";
import {
  type AllocateRequest,
  AllocateRequestSchema,
  type Binding,
  type Entry,
  type Mode,
  OrderKeySchema,
  type Phone,
  type PoolConfig,
  toBinding,
} from "../model/index.js";
import { capacityOf } from "../rules/index.js";
import type { Store } from "../store/index.js";
import { type AllocatorOptions, fromZod, parseOptions, type Tuning } from "./options.js";

type ParsedPool = Required<Pick<PoolConfig, "id" | "mode">> & PoolConfig;
type Parsed = ReturnType<typeof AllocateRequestSchema.parse>;

/** What a bind attempt on one X came to. */
type Attempt =
  | { kind: "bound"; binding: Binding }
  | { kind: "next"; failure: Failure } // try another X
  | { kind: "fatal"; error: Error };

/**
 * Allocates X numbers for orders: validate, reserve in the store, bind at the platform, confirm. Moves to
 * another X on exhaustion and conflict answers, quarantines abnormal numbers, backs off on transient
 * errors, and fails closed (throws) when no X can be had. Idempotent per orderKey.
 */
export class Allocator {
  private readonly store: Store;
  private readonly driver: PlatformDriver;
  private readonly lock: OrderLock | undefined;
  private readonly now: () => number;
  private readonly tuning: Tuning;
  private readonly pools: Map<string, ParsedPool>;
  private readonly events: Events;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private ready: Promise<void> | undefined;

  constructor(options: AllocatorOptions) {
    const { tuning, pools } = parseOptions(options);
    this.store = options.store;
    this.driver = options.driver;
    this.lock = options.lock;
    this.now = options.clock ?? Date.now;
    this.tuning = tuning;
    this.pools = new Map(pools.map((p) => [p.id, p]));
    this.events = new Events(options.onListenerError);
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
  }

  /** Errors thrown by event listeners so far. */
  get listenerErrors(): number {
    return this.events.listenerErrors;
  }

  /** Writes the configured pools into the store. Called on first use; call it early to fail fast. */
  init(): Promise<void> {
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
    return this.serialised(pool.id, req.orderKey, () => this.allocateOnce(pool, req));
  }

  /**
   * Unbinds the order's binding at the platform and frees its X. `unknown` when the order has no binding
   * (never allocated, or released already). `pool` may be left out when the allocator has one pool.
   */
  async release(orderKey: string, pool?: string): Promise<{ status: "released" | "unknown" }> {
    if (!OrderKeySchema.safeParse(orderKey).success) {
      throw new ValidationError(
        `Invalid orderKey ${JSON.stringify(orderKey)}: a string of 1-128 characters.`,
      );
    }
    const p = this.pool(pool ?? this.onlyPool());
    await this.init();
    return this.serialised(p.id, orderKey, () => this.releaseOnce(p, orderKey));
  }

  /** The current entry (reserved or bound) of an order, if any. */
  async get(orderKey: string, pool?: string): Promise<Entry | undefined> {
    const p = this.pool(pool ?? this.onlyPool());
    return this.store.get(p.id, orderKey);
  }

  private async allocateOnce(pool: ParsedPool, req: Parsed): Promise<Binding> {
    const started = this.now();
    const exclude: Phone[] = [];
    const deadline = started + (this.tuning.pendingWaitMs ?? this.tuning.leaseMs);
    let lastFailure = "no X matched the pair";
    for (let attempt = 1; attempt <= this.tuning.maxAttempts; ) {
      const nowMs = this.now();
      const reserved = await this.store.reserve({
        pool: pool.id,
        orderKey: req.orderKey,
        a: req.a,
        b: req.b,
        area: req.area,
        exclude,
        strategy: this.tuning.strategy,
        leaseMs: this.tuning.leaseMs,
        nowMs,
      });
      if (!reserved.ok) {
        if (reserved.reason === "userLimit") {
          throw new UserLimitError(
            `${req.a} already holds the most X numbers its mode allows in pool "${pool.id}". Release one of its orders first.`,
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
        if (this.now() >= deadline) throw new OrderPendingError(req.orderKey, this.now() - started);
        await sleep(Math.min(50, Math.max(1, deadline - this.now())));
        continue; // another caller is binding it; look again
      }
      const result = await this.bindReserved(pool, req, entry);
      if (result.kind === "bound") {
        this.events.emit("allocated", {
          binding: result.binding,
          attempts: attempt,
          latencyMs: this.now() - started,
        });
        return result.binding;
      }
      if (result.kind === "fatal") throw result.error;
      lastFailure = `last answer ${result.failure.kind} ${result.failure.code} on ${entry.x}`;
      exclude.push(entry.x);
      attempt++;
    }
    throw new PoolExhaustedError(pool.id, lastFailure, this.tuning.maxAttempts);
  }

  /** Binds a reserved X at the platform and confirms it, or cleans up and says what to do next. */
  private async bindReserved(pool: ParsedPool, req: Parsed, entry: Entry): Promise<Attempt> {
    const ttlMs = req.ttlSeconds * 1000;
    const durationSeconds = req.ttlSeconds + this.tuning.graceSeconds;
    const bind = () =>
      this.call(() =>
        this.driver.bind({
          mode: pool.mode,
          x: entry.x,
          a: req.a,
          b: req.b,
          durationSeconds,
          userData: req.userData,
        }),
      );
    let outcome = await this.withRetries(pool, entry, bind);
    let timedOut = false;
    for (let i = 0; outcome.kind === "timeout" || (timedOut && outcome.kind === "conflict"); i++) {
      // The bind may have gone through: look before binding again.
      timedOut = true;
      const found = await this.findBinding(pool.mode, entry);
      if (found !== undefined) {
        outcome = { kind: "ok", value: { subscriptionId: found, x: entry.x } };
        break;
      }
      if (i >= this.tuning.transientRetries) {
        // Still unknown: keep the reservation; its lease ends and the sweeper asks the platform again.
        return { kind: "fatal", error: new PlatformUnavailableError(outcome, i + 1) };
      }
      outcome = await this.withRetries(pool, entry, bind);
    }

    if (outcome.kind === "ok") {
      const subscriptionId = outcome.value.subscriptionId;
      const untilMs = this.now() + ttlMs + this.tuning.graceSeconds * 1000;
      const confirmed = await this.store.confirm({
        pool: pool.id,
        orderKey: req.orderKey,
        token: entry.token,
        subscriptionId,
        untilMs,
        nowMs: this.now(),
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
      await this.call(() => this.driver.unbind({ mode: pool.mode, subscriptionId }));
      this.events.emit("leaseLost", { pool: pool.id, orderKey: req.orderKey, x: entry.x });
      return { kind: "fatal", error: new LeaseLostError(req.orderKey) };
    }

    await this.store.release(pool.id, req.orderKey, entry.token);
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
      case "exhausted":
        await this.store.cooldown(pool.id, entry.x, this.now() + this.tuning.cooldownMs);
        retried();
        return { kind: "next", failure };
      case "conflict":
        retried();
        return { kind: "next", failure };
      case "numberAbnormal": {
        const untilMs = this.tuning.quarantineMs > 0 ? this.now() + this.tuning.quarantineMs : undefined;
        await this.store.setNumberState(pool.id, entry.x, "quarantined", untilMs);
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
      case "auth":
        return { kind: "fatal", error: new PlatformAuthError(failure) };
      case "transient":
      case "rateLimited":
      case "timeout":
        return {
          kind: "fatal",
          error: new PlatformUnavailableError(failure, this.tuning.transientRetries + 1),
        };
      default:
        return { kind: "fatal", error: new PlatformRejectedError(failure) };
    }
  }

  private async releaseOnce(pool: ParsedPool, orderKey: string): Promise<{ status: "released" | "unknown" }> {
    const entry = await this.store.get(pool.id, orderKey);
    if (entry === undefined) return { status: "unknown" };
    // A reservation may have been bound at the platform already (in flight, or its holder died).
    const subscriptionId = entry.subscriptionId ?? (await this.findBinding(pool.mode, entry));
    if (subscriptionId !== undefined) {
      // Unbinding twice is harmless (the second answers "not found"), so a timeout is retried too.
      const outcome = await this.withRetries(
        pool,
        entry,
        () => this.call(() => this.driver.unbind({ mode: pool.mode, subscriptionId })),
        true,
      );
      if (outcome.kind !== "ok" && outcome.kind !== "notFound") {
        if (outcome.kind === "auth") throw new PlatformAuthError(outcome);
        if (["transient", "rateLimited", "timeout"].includes(outcome.kind)) {
          throw new PlatformUnavailableError(outcome, this.tuning.transientRetries + 1);
        }
        throw new PlatformRejectedError(outcome);
      }
    }
    const released = await this.store.release(pool.id, orderKey, entry.token);
    if (released !== "released") return { status: "unknown" };
    this.events.emit("released", { pool: pool.id, orderKey, x: entry.x });
    return { status: "released" };
  }

  /** Asks the platform for the binding of (X, A, B); its subscriptionId when it exists. */
  private async findBinding(mode: Mode, entry: Entry): Promise<string | undefined> {
    const outcome = await this.call(() =>
      this.driver.query(
        mode === "AXB"
          ? { mode, x: entry.x, a: entry.a, ...(entry.b ? { b: entry.b } : {}) }
          : { mode, x: entry.x, a: entry.a },
      ),
    );
    if (outcome.kind !== "ok") return undefined;
    return outcome.value.bindings.find(
      (b) => b.x === entry.x && b.a === entry.a && (mode === "AX" || b.b === entry.b),
    )?.subscriptionId;
  }

  /** Runs a platform call again after transient errors and flow control, with exponential backoff and jitter. */
  private async withRetries<T>(
    pool: ParsedPool,
    entry: Entry,
    call: () => Promise<Outcome<T>>,
    idempotent = false,
  ): Promise<Outcome<T>> {
    for (let retry = 0; ; retry++) {
      const outcome = await call();
      const retriable =
        outcome.kind === "transient" ||
        outcome.kind === "rateLimited" ||
        (idempotent && outcome.kind === "timeout");
      if (!retriable || retry >= this.tuning.transientRetries) return outcome;
      this.events.emit("retried", {
        pool: pool.id,
        orderKey: entry.orderKey,
        x: entry.x,
        reason: outcome.kind,
        code: outcome.code,
      });
      const base = Math.min(this.tuning.maxBackoffMs, this.tuning.backoffMs * 2 ** retry);
      await sleep(base / 2 + Math.random() * (base / 2));
    }
  }

  /** A driver that throws instead of answering is treated as a transient failure. */
  private async call<T>(fn: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    try {
      return await fn();
    } catch (error) {
      return {
        kind: "transient",
        code: "DRIVER_THREW",
        message: error instanceof Error ? error.message : String(error),
      };
    }
  }

  /** One call at a time per orderKey: in this process always, across processes with the configured lock. */
  private async serialised<T>(pool: string, orderKey: string, fn: () => Promise<T>): Promise<T> {
    const key = `${pool}\u0000${orderKey}`;
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => (this.lock ? this.lock.using(`order:${pool}:${orderKey}`, this.tuning.leaseMs, fn) : fn()),
      () => (this.lock ? this.lock.using(`order:${pool}:${orderKey}`, this.tuning.leaseMs, fn) : fn()),
    );
    this.inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    }
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
      await this.store.upsertPool(
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
        if (n.state !== undefined) await this.store.setNumberState(pool.id, n.x, n.state);
    }
  }
}

/** Shows the country code and last 4 digits only: numbers in messages and logs stay private. */
export function mask(phone: Phone | undefined): string {
  if (phone === undefined) return "-";
  return phone.length <= 7 ? "****" : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type { AllocatorEvents };
