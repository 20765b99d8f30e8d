import { AsyncLocalStorage } from "node:async_hooks";
import type { Failure, Outcome, PlatformBinding, PlatformDriver, QueryRequest } from "../driver/index.js";
import { BindpoolError, OrderLockLostError, StoreError } from "../errors/index.js";
import type { Events, ReleaseReason } from "../events/index.js";
import type { OrderLock } from "../lock/index.js";
import { type Entry, internalKey, type Mode, type Phone, type PoolConfig } from "../model/index.js";
import type { Store } from "../store/index.js";
import type { Scheduler, Tuning } from "./options.js";

export type ParsedPool = Required<Pick<PoolConfig, "id" | "mode">> & PoolConfig;

/** The order lock held by the code running now (through its awaits), so platform calls can check it. */
const heldLock = new AsyncLocalStorage<{ orderKey: string; signal: AbortSignal }>();

/**
 * What the allocator and its lifecycle jobs (sweeper, reconciler) share: the store, the platform calls
 * with their retry policy, the per-orderKey serialisation, and the clock. Internal to core.
 */
export class Context {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: Store,
    private readonly driver: PlatformDriver,
    readonly tuning: Tuning,
    readonly events: Events,
    readonly now: () => number,
    private readonly lock: OrderLock | undefined,
    readonly scheduler: Scheduler,
  ) {}

  /** Whether `serialised` holds a lock shared by every instance, not only one in this process. */
  get sharedLock(): boolean {
    return this.lock !== undefined;
  }

  /** One call at a time per orderKey: in this process always, across processes with the configured lock. */
  async serialised<T>(pool: string, orderKey: string, fn: () => Promise<T>): Promise<T> {
    const key = `${pool}\u0000${orderKey}`;
    const lock = this.lock;
    const locked = async () => {
      if (lock === undefined) return fn();
      let ran = false;
      try {
        return await lock.using(`order:${pool}:${orderKey}`, this.tuning.lockTtlMs, (signal) => {
          ran = true;
          return signal ? heldLock.run({ orderKey, signal }, fn) : fn();
        });
      } catch (error) {
        // What the call itself threw passes as it is; a lock implementation's own failure is typed.
        if (error instanceof BindpoolError || ran) throw error;
        throw new StoreError(`The order lock failed: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
        });
      }
    };
    const run = (this.inFlight.get(key) ?? Promise.resolve()).then(locked, locked);
    this.inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    }
  }

  bind(pool: ParsedPool, entry: Entry, durationSeconds: number, userData: string | undefined) {
    return this.call("bind", () =>
      this.driver.bind({ mode: pool.mode, x: entry.x, a: entry.a, b: entry.b, durationSeconds, userData }),
    );
  }

  /** Modifies a binding; setting the same values twice is harmless, so timeouts are retried too. */
  modify(mode: Mode, subscriptionId: string, change: { b?: Phone; durationSeconds?: number }) {
    return this.withRetries(
      undefined,
      () => this.call("modify", () => this.driver.modify({ mode, subscriptionId, ...change })),
      true,
    );
  }

  /** The platform's binding of a subscriptionId (`undefined` when it has none). */
  async querySubscription(mode: Mode, subscriptionId: string): Promise<Outcome<PlatformBinding | undefined>> {
    const outcome = await this.lookup({ mode, subscriptionId });
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.find((b) => b.subscriptionId === subscriptionId) };
  }

  /** Asks the platform for the binding of (X, A, B), if it exists. */
  async findBinding(
    mode: Mode,
    entry: Pick<Entry, "x" | "a" | "b">,
  ): Promise<Outcome<PlatformBinding | undefined>> {
    const outcome = await this.lookup(
      mode === "AXB" && entry.b !== undefined
        ? { mode, x: entry.x, a: entry.a, b: entry.b }
        : { mode, x: entry.x, a: entry.a },
    );
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.find((b) => samePair(mode, b, entry)) };
  }

  /**
   * The platform's bindings on X, other than the pair's own, that hold a user of the pair (as A or as B
   * in AXB; X's one A in AX): what a conflict answer is about.
   */
  async findBlockers(mode: Mode, entry: Pick<Entry, "x" | "a" | "b">): Promise<Outcome<PlatformBinding[]>> {
    const { x } = entry;
    const users = [entry.a, ...(mode === "AXB" && entry.b !== undefined ? [entry.b] : [])];
    const queries: QueryRequest[] =
      mode === "AX"
        ? [{ mode, x }]
        : users.flatMap((u) => [
            { mode, x, a: u },
            { mode, x, b: u },
          ]);
    // At once: the allocation that got the conflict waits for them.
    const outcomes = await Promise.all(queries.map((q) => this.lookup(q)));
    const found = new Map<string, PlatformBinding>();
    for (const outcome of outcomes) {
      if (outcome.kind !== "ok") return outcome;
      for (const b of outcome.value) {
        const holdsUser = mode === "AX" || users.includes(b.a) || (b.b !== undefined && users.includes(b.b));
        if (b.x === x && holdsUser && !samePair(mode, b, entry)) found.set(b.subscriptionId, b);
      }
    }
    return { kind: "ok", value: [...found.values()] };
  }

  /** One platform query; "not found" is an empty answer. A lookup changes nothing, so timeouts are retried too. */
  private async lookup(query: QueryRequest): Promise<Outcome<readonly PlatformBinding[]>> {
    const outcome = await this.withRetries(
      undefined,
      () => this.call("query", () => this.driver.query(query)),
      true,
    );
    if (outcome.kind === "notFound") return { kind: "ok", value: [] };
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.bindings };
  }

  /** One page of the platform's bindings on X (pages count from 1). */
  queryX(mode: Mode, x: Phone, page: number) {
    return this.withRetries(undefined, () => this.call("query", () => this.driver.query({ mode, x, page })));
  }

  /**
   * Unbinds an entry at the platform: by its subscriptionId, or, for a reservation, whatever the platform
   * holds for (X, A, B). `done` when nothing is bound any more ("not found" counts as done); `removed`
   * when the platform had the binding and dropped it now (false: it was already gone).
   */
  async unbind(
    mode: Mode,
    entry: Entry,
  ): Promise<{ done: true; removed: boolean } | { done: false; failure: Failure }> {
    let subscriptionId = entry.subscriptionId;
    if (subscriptionId === undefined) {
      const found = await this.findBinding(mode, entry);
      if (found.kind !== "ok") return { done: false, failure: found };
      subscriptionId = found.value?.subscriptionId;
      if (subscriptionId === undefined) return { done: true, removed: false };
    }
    const id = subscriptionId;
    // Unbinding twice is harmless (the second answers "not found"), so timeouts are retried too.
    const outcome = await this.withRetries(
      entry,
      () => this.call("unbind", () => this.driver.unbind({ mode, subscriptionId: id })),
      true,
    );
    if (outcome.kind === "ok" || outcome.kind === "notFound")
      return { done: true, removed: outcome.kind === "ok" };
    return { done: false, failure: outcome };
  }

  /**
   * Unbinds and frees an entry; when the platform cannot be reached, keeps it as `releasing` for the
   * sweeper to retry (X stays held so no conflicting pair gets it).
   */
  async unbindAndFree(
    pool: ParsedPool,
    entry: Entry,
    reason: ReleaseReason,
  ): Promise<"released" | "pending"> {
    const result = await this.unbind(pool.mode, entry);
    if (!result.done) {
      await this.queueUnbind(pool, entry, result.failure.code);
      return "pending";
    }
    await this.store.release(pool.id, entry.orderKey, entry.token);
    this.events.emit("released", { pool: pool.id, orderKey: entry.orderKey, x: entry.x, reason });
    return "released";
  }

  /**
   * Unbinds a binding no entry owns (a bind that landed after its reservation was taken over). When the
   * platform cannot be reached, the unbind is kept in the store like any other: a `releasing` entry under
   * an `unbind` entry (`entry-keys.ts`) (X and the pair held meanwhile) that the sweeper retries. If the store
   * cannot take it (the pair already holds X again), the reconciler finds the binding later.
   */
  async unbindOrphan(pool: ParsedPool, binding: Entry & { subscriptionId: string }): Promise<void> {
    const result = await this.unbind(pool.mode, binding);
    if (result.done) {
      // A conflict may have fenced it meanwhile; it is gone now.
      await this.store.release(pool.id, internalKey("foreign", binding.subscriptionId));
      return;
    }
    const held = await this.recordBinding(
      pool,
      internalKey("unbind", binding.subscriptionId),
      binding,
      this.now(),
    );
    if (held !== undefined) await this.queueUnbind(pool, held, result.failure.code);
  }

  /**
   * After a conflict answer on the entry's X (its own binding ruled out): records each platform binding
   * that holds a user of the pair there as a `foreign` entry (`entry-keys.ts`), ending when the platform ends it.
   * The store's rules then keep those users off X while X stays open to every other pair; the reconciler
   * unbinds them later. False when none is found or one cannot be recorded (then cool all of X down).
   */
  async fenceBlockers(pool: ParsedPool, entry: Entry): Promise<boolean> {
    const found = await this.findBlockers(pool.mode, entry);
    if (found.kind !== "ok" || found.value.length === 0) return false;
    for (const binding of found.value) {
      const orderKey = internalKey("foreign", binding.subscriptionId);
      const held = await this.recordBinding(pool, orderKey, binding, this.adoptedUntilMs(binding));
      if (held !== undefined) {
        const { subscriptionId, x } = binding;
        this.events.emit("fenced", { pool: pool.id, orderKey, x, subscriptionId });
      } else if ((await this.store.get(pool.id, orderKey)) === undefined) {
        return false; // not recorded, not by a concurrent caller either: a user of it holds X in the store
      }
    }
    return true;
  }

  /**
   * Records a platform binding no entry owns as a bound entry under `orderKey` on its own X (the pair's
   * rules and X's capacity still hold; its state and cooldown do not matter), ending at `untilMs`.
   * Undefined when the store cannot take it (the orderKey exists, or a user of the pair holds X).
   */
  async recordBinding(
    pool: ParsedPool,
    orderKey: string,
    binding: Pick<PlatformBinding, "x" | "a" | "b" | "subscriptionId">,
    untilMs: number,
  ): Promise<Entry | undefined> {
    const nowMs = this.now();
    const held = await this.store.reserve({
      pool: pool.id,
      orderKey,
      a: binding.a,
      b: binding.b,
      x: binding.x,
      exclude: [],
      strategy: this.tuning.strategy,
      leaseMs: this.tuning.leaseMs,
      nowMs,
    });
    if (!held.ok || held.existing) return undefined;
    const { token } = held.entry;
    const { subscriptionId } = binding;
    const confirmed = await this.store.confirm({
      pool: pool.id,
      orderKey,
      token,
      subscriptionId,
      untilMs,
      nowMs,
      adopt: true,
    });
    if (confirmed === "ok") return { ...held.entry, status: "bound", subscriptionId, untilMs };
    await this.store.release(pool.id, orderKey, token);
    return undefined;
  }

  /**
   * When an adopted binding's order ends. The order's TTL is not in the store; the platform's binding
   * lifetime is (TTL + grace), counted from the bind, so the order ends a lifetime after the bind time the
   * platform reports (never counted from later than now: a bind time that reads as future, e.g. a local
   * time read as UTC, counts as now, so the end is never early). Without a bind time, a lifetime from now;
   * a permanent or unreported lifetime gets `fallbackSeconds` (default `adoptTtlSeconds`) from now.
   */
  adoptedUntilMs(binding: PlatformBinding, fallbackSeconds?: number): number {
    const now = this.now();
    if (!binding.durationSeconds) return now + (fallbackSeconds || this.tuning.adoptTtlSeconds) * 1000;
    return Math.min(binding.boundAtMs ?? now, now) + binding.durationSeconds * 1000;
  }

  /** Marks the entry `releasing` with its next unbind try due in `unbindRetryMs` (the sweeper makes it). */
  private async queueUnbind(pool: ParsedPool, entry: Entry, code: string): Promise<void> {
    const retryAtMs = this.now() + this.tuning.unbindRetryMs;
    if ((await this.store.markReleasing(pool.id, entry.orderKey, entry.token, retryAtMs)) === "ok") {
      this.events.emit("unbindQueued", {
        pool: pool.id,
        orderKey: entry.orderKey,
        x: entry.x,
        code,
        retryAtMs,
      });
    }
  }

  /** Runs a platform call again after transient errors and flow control, with exponential backoff and jitter. */
  async withRetries<T>(
    entry: Entry | undefined,
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
      if (entry !== undefined) {
        this.events.emit("retried", {
          pool: entry.pool,
          orderKey: entry.orderKey,
          x: entry.x,
          reason: outcome.kind,
          code: outcome.code,
        });
      }
      const base = Math.min(this.tuning.maxBackoffMs, this.tuning.backoffMs * 2 ** retry);
      await this.scheduler.sleep(base / 2 + this.scheduler.random() * (base / 2));
    }
  }

  /** Times a driver call and reports it; a driver that throws counts as a transient failure. */
  private async call<T>(
    op: "bind" | "unbind" | "modify" | "query",
    fn: () => Promise<Outcome<T>>,
  ): Promise<Outcome<T>> {
    // Another instance may hold the order now: send nothing more for it.
    const held = heldLock.getStore();
    if (held?.signal.aborted) throw new OrderLockLostError(held.orderKey, this.tuning.lockTtlMs);
    const started = this.now();
    let outcome: Outcome<T>;
    try {
      outcome = await fn();
    } catch (error) {
      outcome = {
        kind: "transient",
        code: "DRIVER_THREW",
        message: error instanceof Error ? error.message : String(error),
      };
    }
    this.events.emit("platformCall", {
      op,
      kind: outcome.kind,
      code: outcome.kind === "ok" ? "0" : outcome.code,
      latencyMs: this.now() - started,
    });
    return outcome;
  }
}

/** Whether a platform binding is the entry's pair on its X. */
function samePair(mode: Mode, b: PlatformBinding, entry: Pick<Entry, "x" | "a" | "b">): boolean {
  return b.x === entry.x && b.a === entry.a && (mode === "AX" || b.b === entry.b);
}
