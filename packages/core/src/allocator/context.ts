import { AsyncLocalStorage } from "node:async_hooks";
import type { Failure, Outcome, PlatformBinding, PlatformDriver } from "../driver/index.js";
import { OrderLockLostError } from "../errors/index.js";
import type { Events } from "../events/index.js";
import type { OrderLock } from "../lock/index.js";
import type { Entry, Mode, Phone, PoolConfig } from "../model/index.js";
import type { Store } from "../store/index.js";
import type { Tuning } from "./options.js";

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
  ) {}

  /** One call at a time per orderKey: in this process always, across processes with the configured lock. */
  async serialised<T>(pool: string, orderKey: string, fn: () => Promise<T>): Promise<T> {
    const key = `${pool}\u0000${orderKey}`;
    const locked = () =>
      this.lock
        ? this.lock.using(`order:${pool}:${orderKey}`, this.tuning.leaseMs, (signal) =>
            signal ? heldLock.run({ orderKey, signal }, fn) : fn(),
          )
        : fn();
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
    const outcome = await this.withRetries(
      undefined,
      () => this.call("query", () => this.driver.query({ mode, subscriptionId })),
      true,
    );
    if (outcome.kind === "notFound") return { kind: "ok", value: undefined };
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.bindings.find((b) => b.subscriptionId === subscriptionId) };
  }

  /** Asks the platform for the binding of (X, A, B), if it exists. */
  async findBinding(
    mode: Mode,
    entry: Pick<Entry, "x" | "a" | "b">,
  ): Promise<Outcome<PlatformBinding | undefined>> {
    // A lookup changes nothing, so it is retried on every transient answer, timeouts included.
    const query =
      mode === "AXB" && entry.b !== undefined
        ? { mode, x: entry.x, a: entry.a, b: entry.b }
        : { mode, x: entry.x, a: entry.a };
    const outcome = await this.withRetries(
      undefined,
      () => this.call("query", () => this.driver.query(query)),
      true,
    );
    if (outcome.kind === "notFound") return { kind: "ok", value: undefined };
    if (outcome.kind !== "ok") return outcome;
    const found = outcome.value.bindings.find(
      (b) => b.x === entry.x && b.a === entry.a && (mode === "AX" || b.b === entry.b),
    );
    return { kind: "ok", value: found };
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
    reason: "complete" | "cancel" | "expired" | "reassigned" | "sweeper",
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
   * `unbind:<subscriptionId>` (X and the pair held meanwhile) that the sweeper retries. If the store
   * cannot take it (the pair already holds X again), the reconciler finds the binding later.
   */
  async unbindOrphan(pool: ParsedPool, binding: Entry & { subscriptionId: string }): Promise<void> {
    const result = await this.unbind(pool.mode, binding);
    if (result.done) return;
    const held = await this.recordBinding(pool, `unbind:${binding.subscriptionId}`, binding, this.now());
    if (held !== undefined) await this.queueUnbind(pool, held, result.failure.code);
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
      await sleep(base / 2 + Math.random() * (base / 2));
    }
  }

  /** Times a driver call and reports it; a driver that throws counts as a transient failure. */
  private async call<T>(
    op: "bind" | "unbind" | "modify" | "query",
    fn: () => Promise<Outcome<T>>,
  ): Promise<Outcome<T>> {
    // Another instance may hold the order now: send nothing more for it.
    const held = heldLock.getStore();
    if (held?.signal.aborted) throw new OrderLockLostError(held.orderKey);
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
