/**
 * A lock shared by every allocator instance (the Redis package ships one on redlock). The allocator takes
 * it around allocate and release of one orderKey, so a release never races an allocation in another
 * process. Without one, calls are serialised per orderKey inside the process only.
 */
export interface OrderLock {
  /** Runs `fn` while holding `key`, for at most `ttlMs` unless the lock extends itself. */
  using<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
}
