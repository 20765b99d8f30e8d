import { AsyncLocalStorage } from "node:async_hooks";
import { BindpoolError, OrderLockLostError, StoreError } from "../errors/index.js";
import type { LockLease, OrderLock } from "../lock/index.js";

/** The order lock held by the code running now (through its awaits), so platform calls can check it. */
const heldLock = new AsyncLocalStorage<{ orderKey: string; signal: AbortSignal; lease?: LockLease }>();

/**
 * Throws `OrderLockLostError` when the code running now holds an order's cross-process lock that was
 * lost (its extension failed): another instance may hold the order now, so nothing more is sent for it.
 */
export function assertLockHeld(retryAfterMs: number): void {
  const held = heldLock.getStore();
  if (held === undefined) return;
  if (held.signal.aborted || held.lease?.held() === false)
    throw new OrderLockLostError(held.orderKey, retryAfterMs);
}

/**
 * One call at a time per orderKey: in this process always (a promise chain per key), across processes
 * with the configured lock, held `lockTtlMs` past its holder's death.
 */
export class OrderSerialiser {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly lock: OrderLock | undefined,
    private readonly lockTtlMs: number,
  ) {}

  /** Whether `run` holds a lock shared by every instance, not only one in this process. */
  get shared(): boolean {
    return this.lock !== undefined;
  }

  async run<T>(pool: string, orderKey: string, fn: () => Promise<T>): Promise<T> {
    const key = `${pool}\u0000${orderKey}`;
    const locked = () => this.locked(`order:${pool}:${orderKey}`, orderKey, fn);
    const run = (this.inFlight.get(key) ?? Promise.resolve()).then(locked, locked);
    this.inFlight.set(key, run);
    try {
      return await run;
    } finally {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    }
  }

  private async locked<T>(lockKey: string, orderKey: string, fn: () => Promise<T>): Promise<T> {
    const lock = this.lock;
    if (lock === undefined) return fn();
    let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    try {
      return await lock.using(lockKey, this.lockTtlMs, async (signal, lease) => {
        try {
          const value = await (signal ? heldLock.run({ orderKey, signal, lease }, fn) : fn());
          settled = { ok: true, value };
          return value;
        } catch (error) {
          settled = { ok: false, error };
          throw error;
        }
      });
    } catch (error) {
      // The call's own outcome wins over a failed release: the lock runs out by its TTL, and an order
      // that was bound must not be reported as failed.
      if (settled?.ok) return settled.value;
      if (settled !== undefined) throw settled.error;
      if (error instanceof BindpoolError) throw error;
      throw new StoreError(`The order lock failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  }
}
