/**
 * Every error bindpool throws is a `BindpoolError` with a stable `code`. Match on `code`, not on the
 * class or the message: codes are part of the public API, messages may be reworded.
 */
export type ErrorCode =
  | "BINDPOOL_VALIDATION"
  | "BINDPOOL_UNKNOWN_POOL"
  | "BINDPOOL_POOL_EXHAUSTED"
  | "BINDPOOL_USER_LIMIT"
  | "BINDPOOL_ORDER_CONFLICT"
  | "BINDPOOL_ORDER_PENDING"
  | "BINDPOOL_ORDER_LOCK_LOST"
  | "BINDPOOL_LOCK_BUSY"
  | "BINDPOOL_JOB_BUSY"
  | "BINDPOOL_RATE_LIMIT_WAIT"
  | "BINDPOOL_UNKNOWN_ORDER"
  | "BINDPOOL_LEASE_LOST"
  | "BINDPOOL_PLATFORM_AUTH"
  | "BINDPOOL_PLATFORM_REJECTED"
  | "BINDPOOL_PLATFORM_UNAVAILABLE"
  | "BINDPOOL_STORE"
  | "BINDPOOL_STORE_LOST"
  | "BINDPOOL_STORE_RECOVERING";

/**
 * Codes of errors that a later call of the same request may get past: the platform or the store was
 * unavailable, another caller held the order or a shared budget, or a pool was being rebuilt. Retry
 * these with backoff (honour `retryAfterMs` where the error has one); the others need a change first.
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "BINDPOOL_ORDER_PENDING",
  "BINDPOOL_ORDER_LOCK_LOST",
  "BINDPOOL_LOCK_BUSY",
  "BINDPOOL_JOB_BUSY",
  "BINDPOOL_RATE_LIMIT_WAIT",
  "BINDPOOL_LEASE_LOST",
  "BINDPOOL_PLATFORM_UNAVAILABLE",
  "BINDPOOL_STORE",
  "BINDPOOL_STORE_LOST",
  "BINDPOOL_STORE_RECOVERING",
]);

/** Whether `error` is a bindpool error a later call of the same request may get past (`RETRYABLE_CODES`). */
export function isRetryable(error: unknown): boolean {
  return error instanceof BindpoolError && RETRYABLE_CODES.has(error.code);
}

/**
 * The base of every error bindpool throws. `C` is the code's type: core's `ErrorCode`, or a package's
 * own codes (the Huawei notification handler's `BINDPOOL_NOTIFY_*`).
 */
export class BindpoolError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Input failed validation; nothing was reserved or changed. */
export class ValidationError extends BindpoolError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(message: string, issues: readonly { path: string; message: string }[] = []) {
    super("BINDPOOL_VALIDATION", message);
    this.issues = issues;
  }
}

export class UnknownPoolError extends BindpoolError {
  readonly pool: string;
  constructor(pool: string, known: readonly string[]) {
    super(
      "BINDPOOL_UNKNOWN_POOL",
      `Unknown pool "${pool}". Configured pools: ${known.length ? known.map((p) => `"${p}"`).join(", ") : "(none)"}. Add it to the allocator's \`pools\` option.`,
    );
    this.pool = pool;
  }
}

/** No X number could be had for the pair: every candidate is full, holds a user already, or is unhealthy. */
export class PoolExhaustedError extends BindpoolError {
  readonly pool: string;
  readonly attempts: number;
  constructor(pool: string, detail: string, attempts: number) {
    super(
      "BINDPOOL_POOL_EXHAUSTED",
      `Pool "${pool}" has no X number left for this pair (${detail}; ${attempts} attempt(s)). Add numbers to the pool, widen the area match, or retry later.`,
    );
    this.pool = pool;
    this.attempts = attempts;
  }
}

/** AX mode: the A number already holds the most X numbers the platform allows (5). */
export class UserLimitError extends BindpoolError {
  constructor(message: string) {
    super("BINDPOOL_USER_LIMIT", message);
  }
}

/** The orderKey is already in use with another pair or pool. */
export class OrderConflictError extends BindpoolError {
  readonly orderKey: string;
  constructor(orderKey: string, detail: string) {
    super(
      "BINDPOOL_ORDER_CONFLICT",
      `orderKey "${orderKey}" is already allocated ${detail}. Use a new orderKey per order, or release the old one first.`,
    );
    this.orderKey = orderKey;
  }
}

/** Another caller (possibly another instance) is still allocating this orderKey. */
export class OrderPendingError extends BindpoolError {
  readonly orderKey: string;
  /** When a retry may find the order settled, ms from now. */
  readonly retryAfterMs: number;
  constructor(orderKey: string, waitedMs: number, retryAfterMs: number) {
    super(
      "BINDPOOL_ORDER_PENDING",
      `orderKey "${orderKey}" is being allocated by another caller and did not finish within ${waitedMs} ms. Retry the call in ${retryAfterMs} ms; it returns that binding once it is confirmed.`,
    );
    this.orderKey = orderKey;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The cross-process lock on the orderKey was lost (its extension failed) while the call ran, so another
 * instance may now work on the order: the call stopped before its next platform request. What it did
 * so far stays (fenced in the store); the sweeper or the next call on the orderKey finishes the rest.
 */
export class OrderLockLostError extends BindpoolError {
  readonly orderKey: string;
  /** When a retry may take the lock again, ms from now. */
  readonly retryAfterMs: number;
  constructor(orderKey: string, retryAfterMs: number) {
    super(
      "BINDPOOL_ORDER_LOCK_LOST",
      `The lock on orderKey "${orderKey}" was lost while the call ran, so it stopped before its next platform request. Retry the call in ${retryAfterMs} ms; it picks up what is done.`,
    );
    this.orderKey = orderKey;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The order has no live binding (never allocated, completed already, or still being bound). */
export class UnknownOrderError extends BindpoolError {
  readonly orderKey: string;
  constructor(orderKey: string, pool: string) {
    super(
      "BINDPOOL_UNKNOWN_ORDER",
      `Order "${orderKey}" has no live binding in pool "${pool}": it was never allocated, is completed, or is still being bound.`,
    );
    this.orderKey = orderKey;
  }
}

/** The reservation's lease ended (or was taken over) before the platform bind could be confirmed. */
export class LeaseLostError extends BindpoolError {
  constructor(orderKey: string) {
    super(
      "BINDPOOL_LEASE_LOST",
      `The reservation for orderKey "${orderKey}" expired before its bind was confirmed; the platform binding was undone. Retry the allocation, and raise \`leaseMs\` if platform calls are slow.`,
    );
  }
}

/** Details of a platform answer, kept on platform errors. */
export interface PlatformAnswer {
  readonly kind: string;
  readonly code: string;
  readonly message: string;
}

/** The platform refused the credentials (wrong app key or secret, app disabled, IP not whitelisted). */
export class PlatformAuthError extends BindpoolError {
  readonly platform: PlatformAnswer;
  constructor(platform: PlatformAnswer) {
    super(
      "BINDPOOL_PLATFORM_AUTH",
      `The platform rejected the credentials (${platform.code}: ${platform.message}). Check the app key, app secret, base URL and IP whitelist.`,
    );
    this.platform = platform;
  }
}

/** The platform refused the request for a reason retrying will not fix (bad parameter, wrong mode, ...). */
export class PlatformRejectedError extends BindpoolError {
  readonly platform: PlatformAnswer;
  constructor(platform: PlatformAnswer) {
    super(
      "BINDPOOL_PLATFORM_REJECTED",
      `The platform rejected the request as ${platform.kind} (${platform.code}: ${platform.message}).`,
    );
    this.platform = platform;
  }
}

/** The platform kept failing with transient errors (5xx, timeouts, flow control) after every retry. */
export class PlatformUnavailableError extends BindpoolError {
  readonly platform: PlatformAnswer;
  constructor(platform: PlatformAnswer, attempts: number) {
    super(
      "BINDPOOL_PLATFORM_UNAVAILABLE",
      `The platform did not answer usefully after ${attempts} attempt(s) (last: ${platform.kind} ${platform.code}: ${platform.message}). Retry later; if the last bind timed out, X stays reserved until its lease ends and the sweeper (or the next allocate of this orderKey) asks the platform whether it went through.`,
    );
    this.platform = platform;
  }
}

/** The store failed (connection lost, script error); the operation's outcome is as the store left it. */
export class StoreError extends BindpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BINDPOOL_STORE", message, options);
  }
}

/**
 * Why a store is not the store it was: `missing` the pool is gone (a restart without persistence, a
 * flush); `generation` the pool was created anew or rebuilt since this store object accepted it;
 * `rollback` its fencing counter is below a token this object saw (an older snapshot was loaded).
 */
export type StoreLostReason = "missing" | "generation" | "rollback";

/**
 * The pool's state in the store is not the state this store object worked with, so nothing it believed
 * about the pool holds any more. Nothing was changed. Thrown on every call for the pool until
 * `upsertPool` or `poolGeneration` accepts the pool's new state (a rollback only `upsertPool` with
 * `rebuild: true`); the allocator then rebuilds the pool from the platform.
 */
export class StoreLostError extends BindpoolError {
  readonly pool: string;
  readonly reason: StoreLostReason;
  constructor(pool: string, reason: StoreLostReason) {
    const why = {
      missing: "is gone from the store (restarted without persistence, or flushed)",
      generation: "was created anew or rebuilt in the store since this instance last read it",
      rollback: "went back to an older state in the store (a fencing token this instance saw is gone)",
    }[reason];
    super(
      "BINDPOOL_STORE_LOST",
      `Pool "${pool}" ${why}; the call changed nothing. Retry after the pool has been rebuilt from the platform.`,
    );
    this.pool = pool;
    this.reason = reason;
  }
}

/**
 * The pool is being rebuilt from the platform after its state was lost, so the store cannot yet say that
 * an order it does not know is unknown. Retry after `retryAfterMs`.
 */
export class StoreRecoveringError extends BindpoolError {
  readonly pool: string;
  readonly retryAfterMs: number;
  constructor(pool: string, retryAfterMs = 1_000) {
    super(
      "BINDPOOL_STORE_RECOVERING",
      `Pool "${pool}" is being rebuilt from the platform after its store lost data, so an order it does not hold may still exist. Retry in ${retryAfterMs} ms.`,
    );
    this.pool = pool;
    this.retryAfterMs = retryAfterMs;
  }
}
