import { BindpoolError, type OrderLock, StoreError, ValidationError } from "@bindpool/core";
import {
  ExecutionError,
  type Lock,
  Redlock,
  ResourceLockedError,
  type Settings,
} from "@sesamecare-oss/redlock";
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
  /**
   * Called with each failure that did not change a call's outcome: a release or extension after the
   * work finished (the lock then ends on its own at its TTL). Count or log them. @default none
   */
  readonly onError?: (error: StoreError) => void;
}

/** Another holder kept the lock for the whole retry window (code `BINDPOOL_LOCK_BUSY`). */
export class LockBusyError extends BindpoolError {
  readonly key: string;
  /** When a retry may find the lock free: the holder's lease ends within the lock's TTL, ms. */
  readonly retryAfterMs: number;
  constructor(key: string, tries: number, retryAfterMs: number) {
    super(
      "BINDPOOL_LOCK_BUSY",
      `Lock "${key}" is held by another caller and was not released within ${tries} tries. Retry the call in ${retryAfterMs} ms.`,
    );
    this.key = key;
    this.retryAfterMs = retryAfterMs;
  }
}

/** What `elect` returns: the job's result when this instance was the leader. */
export type Election<T> = { readonly leader: true; readonly result: T } | { readonly leader: false };

/**
 * Locks on Redis (Redlock, `@sesamecare-oss/redlock`): `using` serialises work on one key across
 * instances (the allocator's allocate vs release of one orderKey); `elect` runs a cluster-wide job on one
 * instance at a time. Locks extend themselves while the work runs (when half the TTL is left, so a short
 * TTL survives a busy event loop and a dead holder's lock frees within one TTL); the work gets an
 * AbortSignal that fires once the lock may have ended (the lock may then be held by someone else).
 *
 * Once the work has finished, its outcome is the call's outcome: a failed release (or extension) never
 * replaces it; it goes to `onError`. Every other Redis or Redlock failure leaves as a `StoreError`.
 */
export class RedisLock implements OrderLock {
  private readonly redlock: Redlock;
  private readonly prefix: string;
  private readonly retryCount: number;
  private readonly onError: (error: StoreError) => void;
  private failures = 0;

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
    // Redlock types its clients as ioredis's classes; it only uses defineCommand and the commands it defines.
    const redlockClients = clients as unknown as ConstructorParameters<typeof Redlock>[0];
    this.redlock = new Redlock(redlockClients, { retryCount, retryDelay, retryJitter });
    // Extension failures surface through the AbortSignal; the emitter must not crash the process.
    this.redlock.on("error", () => {});
    this.prefix = options.prefix ?? "bp";
    this.retryCount = retryCount;
    this.onError = options.onError ?? (() => {});
  }

  /** Releases and extensions that failed after the work had finished (each also went to `onError`). */
  get failedAfterWork(): number {
    return this.failures;
  }

  /** Runs `fn` while holding `key` (lease `ttlMs`, at least 150, extended while `fn` runs). */
  async using<T>(key: string, ttlMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const outcome = await this.run(lockKey(this.prefix, key), ttlMs, {}, fn);
    // The holder's lease (or a dead holder's lock) ends within one TTL of our last try.
    if (outcome.busy) throw new LockBusyError(key, this.retryCount + 1, ttlMs);
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
    let lock: Lock;
    try {
      lock = await this.redlock.acquire([resource], ttlMs, settings);
    } catch (err) {
      if (await lockedByOther(err)) return { busy: true };
      throw new StoreError(`Could not take the Redis lock "${resource}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    const held = new KeptLock(this.redlock, lock, ttlMs, (err) => this.failed(resource, "extend", err));
    try {
      // fn's own result or error is the outcome; what follows only cleans up and never throws.
      return { busy: false, result: await fn(held.signal) };
    } finally {
      held.stop();
      await this.release(resource, held.lock, ttlMs);
    }
  }

  /**
   * Releases the lock, waiting at most until it would end on its own: a Redis that does not answer
   * (paused, failing over) must not hold the caller's finished work. Failures go to `onError`.
   */
  private async release(resource: string, lock: Lock, ttlMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // Two quick retries for a blip; a lock that is gone already (its key expired) fails them all.
    const released = this.redlock.release(lock, { retryCount: 2 }).then(
      () => undefined,
      (err: unknown) => this.failed(resource, "release", err),
    );
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ttlMs);
      timer.unref?.();
    });
    await Promise.race([released, expired]);
    clearTimeout(timer);
  }

  private failed(resource: string, what: "release" | "extend", err: unknown): void {
    this.failures++;
    try {
      this.onError(
        new StoreError(
          `Could not ${what} the Redis lock "${resource}" (it ends on its own at its TTL): ${(err as Error).message}`,
          { cause: err },
        ),
      );
    } catch {
      // A failing onError must not change the outcome either; it was counted above.
    }
  }
}

/**
 * Keeps a lock alive while work runs: extends it when half its TTL is left (a loaded event loop that
 * runs the timer late still has half a TTL to spare), retries a failed extension while the lock may
 * still be held, and aborts `signal` once it may have ended.
 */
class KeptLock {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly redlock: Redlock,
    public lock: Lock,
    private readonly ttlMs: number,
    private readonly onFailure: (err: unknown) => void,
  ) {
    this.schedule(lock.expiration - Date.now() - ttlMs / 2);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops extending; an extension in flight finishes on its own (release uses the same lock value). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.extend(), Math.max(0, delayMs));
    this.timer.unref?.();
  }

  private async extend(): Promise<void> {
    try {
      // One try per timer: retries are ours, spaced out, so a slow Redis is not hammered.
      const next = await this.redlock.extend(this.lock, this.ttlMs, { retryCount: 0 });
      this.lock = next;
      this.schedule(next.expiration - Date.now() - this.ttlMs / 2);
    } catch (err) {
      if (this.stopped) return this.onFailure(err);
      if (this.lock.expiration > Date.now()) {
        this.schedule(Math.min(this.ttlMs / 10, this.lock.expiration - Date.now()));
        return;
      }
      this.controller.abort(
        new StoreError(`The Redis lock could not be extended before it ended: ${(err as Error).message}`, {
          cause: err,
        }),
      );
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
