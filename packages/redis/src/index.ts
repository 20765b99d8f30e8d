export { BUCKET_LOAD, PoolKeys } from "./keys.js";
export type { RedisClient } from "./scripts.js";
export { RedisStore, type RedisStoreOptions } from "./store.js";
