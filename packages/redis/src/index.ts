export { BUCKET_LOAD, electionKey, lockKey, PoolKeys } from "./keys.js";
export { type Election, LockBusyError, RedisLock, type RedisLockOptions } from "./lock.js";
export { RedisNonceStore, type RedisNonceStoreOptions } from "./nonce-store.js";
export {
  RateLimitWaitError,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
  type TakeOptions,
} from "./rate-limiter.js";
export type { RedisClient } from "./scripts.js";
export { RedisStore, type RedisStoreOptions } from "./store.js";
