/**
 * A lock shared by every allocator instance (the Redis package ships one on redlock). The allocator takes
 * it around every call on one orderKey (allocate, complete, reassign, extend, sweep), so they never race
 * across processes. Without one, calls are serialised per orderKey inside the process only.
 */
export interface OrderLock {
  /**
   * Runs `fn` while holding `key`, for at most `ttlMs` unless the lock extends itself. A lock that can
   * lose its hold while `fn` runs (a failed extension) passes a signal that aborts then, and may pass a
   * `lease` that tells, by the lock's own clock, whether the hold can still be trusted (a paused process
   * learns it lost the lock before any extension timer runs): the allocator then sends no further
   * platform request for that order and writes nothing more for it.
   */
  using<T>(
    key: string,
    ttlMs: number,
    fn: (signal?: AbortSignal, lease?: LockLease) => Promise<T>,
  ): Promise<T>;
}

/** A hold on a lock as its holder sees it. */
export interface LockLease {
  /** False once the hold may have run out (its expiry passed, by the lock's clock, less a margin). */
  held(): boolean;
}

/** Elects one runner among instances for cluster-wide jobs (sweeper, reconciler). `RedisLock` is one. */
export interface JobLeader {
  /**
   * Runs `fn` if no other instance runs `job` now; does not wait. A leader that can lose its lease while
   * `fn` runs passes a signal that aborts then; the sweeper and reconciler stop at their next step.
   */
  elect<T>(
    job: string,
    ttlMs: number,
    fn: (signal?: AbortSignal) => Promise<T>,
  ): Promise<{ leader: true; result: T } | { leader: false }>;
}
