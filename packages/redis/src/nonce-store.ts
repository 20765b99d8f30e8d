import { StoreError, ValidationError } from "@bindpool/core";
import type { RedisClient } from "./client.js";

export interface RedisNonceStoreOptions {
  /** The Redis every instance receiving pushes talks to (a `Redis` or `Cluster`). */
  readonly redis: RedisClient;
  /**
   * Start of every nonce key: `<prefix>:nonce:{<nonce>}`. Give each platform app its own prefix when
   * several apps share one Redis. @default "bp"
   */
  readonly prefix?: string;
}

/**
 * The notification handler's nonce memory in Redis, shared by every instance (a `NonceStore` of
 * `@bindpool/huawei`): `remember` is one `SET key 1 PX <ms> NX`, so exactly one of the instances a
 * push reaches accepts it, and Redis drops the key when its hold ends (`hold` moves that to the end of
 * the push's `Created` window once the push is handled).
 *
 * Each key is a single-key command whose hash tag is the nonce itself, so on a Cluster the nonces
 * spread over every slot. A Redis failure rejects with `StoreError` (`BINDPOOL_STORE`): the handler then
 * refuses the push (503, the platform retries), it never accepts one it could not check.
 */
export class RedisNonceStore {
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(options: RedisNonceStoreOptions) {
    if (typeof options?.redis?.call !== "function") {
      throw new ValidationError("RedisNonceStore `redis` must be an ioredis client (Redis or Cluster).");
    }
    const prefix = options.prefix ?? "bp";
    if (typeof prefix !== "string" || prefix.length === 0) {
      throw new ValidationError(
        `RedisNonceStore \`prefix\` must be a non-empty string, got ${JSON.stringify(prefix)}.`,
      );
    }
    this.redis = options.redis;
    this.prefix = prefix;
  }

  /** The key a nonce is held under. */
  key(nonce: string): string {
    return `${this.prefix}:nonce:{${nonce}}`;
  }

  /**
   * Holds `nonce` until `expiresAtMs` (at least 1 ms from `nowMs`, both ms since the epoch, on the
   * caller's clock); `true` when it was not held, `false` when it is (a replay).
   */
  async remember(nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const ttlMs = ttlOf(expiresAtMs, nowMs);
    let reply: unknown;
    try {
      reply = await this.redis.call("SET", this.key(nonce), "1", "PX", ttlMs, "NX");
    } catch (err) {
      throw new StoreError(`Redis nonce store could not record a nonce: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (reply === "OK") return true;
    if (reply === null) return false;
    throw new StoreError(`Redis nonce store: SET NX answered ${JSON.stringify(reply)}, not OK or nil`);
  }

  /** Holds `nonce` until `expiresAtMs` whether or not it is held now (one `SET key 1 PX <ms>`). */
  async hold(nonce: string, expiresAtMs: number, nowMs: number): Promise<void> {
    try {
      await this.redis.call("SET", this.key(nonce), "1", "PX", ttlOf(expiresAtMs, nowMs));
    } catch (err) {
      throw new StoreError(`Redis nonce store could not hold a nonce: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Drops `nonce`, so a retry of a push that failed may carry it again. */
  async forget(nonce: string): Promise<void> {
    try {
      await this.redis.call("DEL", this.key(nonce));
    } catch (err) {
      throw new StoreError(`Redis nonce store could not forget a nonce: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/** The PX of a hold until `expiresAtMs`: at least 1 ms (Redis refuses 0). */
function ttlOf(expiresAtMs: number, nowMs: number): number {
  const ttlMs = Math.max(1, Math.ceil(expiresAtMs - nowMs));
  if (!Number.isSafeInteger(ttlMs)) {
    throw new ValidationError(`RedisNonceStore: a nonce's hold must be a finite time, got ${ttlMs} ms.`);
  }
  return ttlMs;
}
