import { BindpoolError, type OrderLock, StoreError, ValidationError } from "@bindpool/core";
import { ExecutionError, Redlock, ResourceLockedError, type Settings } from "@sesamecare-oss/redlock";
import { electionKey, lockKey } from "./keys.js";
import type { RedisClient } from "./scripts.js";

export interface RedisLockOptions {
  /** One client, or several independent Redis masters for the Redlock quorum (a Cluster counts as one). */
  readonly redis: RedisClient | readonly RedisClient[];
  /** First part of lock keys (`<prefix>:lock:<key>`, `<prefix>:leader:<job>`). @default "bp" */
  readonly prefix?: string;
  /** How many more times `using` tries to take a busy lock. @default 20 */
  readonly retryCount?: number;
  /** Pause between tries, ms (plus up to `retryJitterMs`). @default 100 */
  readonly retryDelayMs?: number;
  /** Random extra pause per try, ms. @default 50 */
  readonly retryJitterMs?: number;
}

/** Another holder kept the lock for the whole retry window (code `BINDPOOL_ORDER_PENDING`). */
export class LockBusyError extends BindpoolError {
  readonly key: string;
  constructor(key: string, tries: number) {
    super(
      "BINDPOOL_ORDER_PENDING",
      `Lock "${key}" is held by another caller and was not released within ${tries} tries. Retry the call.`,
    );
    this.key = key;
  }
}

/** What `elect` returns: the job's result when this instance was the leader. */
export type Election<T> = { readonly leader: true; readonly result: T } | { readonly leader: false };

/**
 * Locks on Redis (Redlock, `@sesamecare-oss/redlock`): `using` serialises work on one key across
 * instances (the allocator's allocate vs release of one orderKey); `elect` runs a cluster-wide job on one
 * instance at a time. Locks extend themselves while the work runs; the work gets an AbortSignal that
 * fires if an extension fails (the lock may then be held by someone else).
 */
export class RedisLock implements OrderLock {
  private readonly redlock: Redlock;
  private readonly prefix: string;
  private readonly retryCount: number;

  constructor(options: RedisLockOptions) {
    const clients = Array.isArray(options.redis) ? options.redis : [options.redis];
    if (clients.length === 0)
      throw new ValidationError("RedisLock needs at least one Redis client in `redis`.");
    const retryCount = options.retryCount ?? 20;
    const retryDelay = options.retryDelayMs ?? 100;
    const retryJitter = options.retryJitterMs ?? 50;
    for (const [name, v] of Object.entries({ retryCount, retryDelay, retryJitter })) {
      if (!Number.isInteger(v) || v < 0) {
        throw new ValidationError(`RedisLock \`${name}\` must be a non-negative integer, got ${v}.`);
      }
    }
    this.redlock = new Redlock(clients as RedisClient[], { retryCount, retryDelay, retryJitter });
    // Extension failures surface through the AbortSignal; the emitter must not crash the process.
    this.redlock.on("error", () => {});
    this.prefix = options.prefix ?? "bp";
    this.retryCount = retryCount;
  }

  /** Runs `fn` while holding `key` (lease `ttlMs`, at least 150, extended while `fn` runs). */
  async using<T>(key: string, ttlMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const outcome = await this.run(lockKey(this.prefix, key), ttlMs, {}, fn);
    if (outcome.busy) throw new LockBusyError(key, this.retryCount + 1);
    return outcome.result;
  }

  /**
   * Runs `fn` if no other instance runs the job `jobName` now (one try, no wait); `ttlMs` is the
   * leadership lease, extended while `fn` runs. Call it on every tick of the job's timer.
   */
  async elect<T>(
    jobName: string,
    ttlMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<Election<T>> {
    const outcome = await this.run(electionKey(this.prefix, jobName), ttlMs, { retryCount: 0 }, fn);
    return outcome.busy ? { leader: false } : { leader: true, result: outcome.result };
  }

  private async run<T>(
    resource: string,
    ttlMs: number,
    settings: Partial<Settings>,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ busy: true } | { busy: false; result: T }> {
    if (!Number.isInteger(ttlMs) || ttlMs < 150) {
      throw new ValidationError(`A lock's ttlMs must be an integer of at least 150, got ${ttlMs}.`);
    }
    let started = false;
    try {
      const result = await this.redlock.using(
        [resource],
        ttlMs,
        { ...settings, automaticExtensionThreshold: Math.min(500, Math.floor(ttlMs / 3)) },
        (signal) => {
          started = true;
          return fn(signal);
        },
      );
      return { busy: false, result };
    } catch (err) {
      if (started) throw err;
      if (await lockedByOther(err)) return { busy: true };
      throw new StoreError(`Could not take the Redis lock "${resource}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/** Whether a failed acquire failed because the lock was held (not because Redis failed). */
async function lockedByOther(err: unknown): Promise<boolean> {
  if (err instanceof ResourceLockedError) return true;
  if (!(err instanceof ExecutionError)) return false;
  for (const attempt of err.attempts) {
    const stats = await attempt;
    for (const e of stats.votesAgainst.values()) if (e instanceof ResourceLockedError) return true;
  }
  return false;
}
