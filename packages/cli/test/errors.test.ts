import { readFileSync } from "node:fs";
import * as core from "@bindpool/core";
import { BindpoolError, isRetryable } from "@bindpool/core";
import * as huawei from "@bindpool/huawei";
import { NOTIFICATION_ERROR_STATUS, NotificationError } from "@bindpool/huawei";
import * as redis from "@bindpool/redis";
import { describe, expect, it } from "vitest";

// Every error class the published packages export, one row each: its code, whether retrying may help,
// and one instance. The table is written out here, not derived from the code it checks.

const answer = { kind: "transient", code: "1010001", message: "Internal system error." };
const TABLE: [name: string, code: string, retry: boolean, make: () => BindpoolError<string>][] = [
  ["ValidationError", "BINDPOOL_VALIDATION", false, () => new core.ValidationError("bad")],
  ["UnknownPoolError", "BINDPOOL_UNKNOWN_POOL", false, () => new core.UnknownPoolError("p", [])],
  ["PoolExhaustedError", "BINDPOOL_POOL_EXHAUSTED", false, () => new core.PoolExhaustedError("p", "full", 5)],
  ["UserLimitError", "BINDPOOL_USER_LIMIT", false, () => new core.UserLimitError("five")],
  ["OrderConflictError", "BINDPOOL_ORDER_CONFLICT", false, () => new core.OrderConflictError("o", "x")],
  ["OrderPendingError", "BINDPOOL_ORDER_PENDING", true, () => new core.OrderPendingError("o", 1, 2)],
  ["OrderLockLostError", "BINDPOOL_ORDER_LOCK_LOST", true, () => new core.OrderLockLostError("o", 5)],
  ["UnknownOrderError", "BINDPOOL_UNKNOWN_ORDER", false, () => new core.UnknownOrderError("o", "p")],
  ["LeaseLostError", "BINDPOOL_LEASE_LOST", true, () => new core.LeaseLostError("o")],
  ["PlatformAuthError", "BINDPOOL_PLATFORM_AUTH", false, () => new core.PlatformAuthError(answer)],
  [
    "PlatformRejectedError",
    "BINDPOOL_PLATFORM_REJECTED",
    false,
    () => new core.PlatformRejectedError(answer),
  ],
  [
    "PlatformUnavailableError",
    "BINDPOOL_PLATFORM_UNAVAILABLE",
    true,
    () => new core.PlatformUnavailableError(answer, 4),
  ],
  ["StoreError", "BINDPOOL_STORE", true, () => new core.StoreError("down")],
  ["StoreLostError", "BINDPOOL_STORE_LOST", true, () => new core.StoreLostError("p", "missing")],
  ["StoreRecoveringError", "BINDPOOL_STORE_RECOVERING", true, () => new core.StoreRecoveringError("p")],
  ["LockBusyError", "BINDPOOL_LOCK_BUSY", true, () => new redis.LockBusyError("k", 3, 100)],
  ["RateLimitWaitError", "BINDPOOL_RATE_LIMIT_WAIT", true, () => new redis.RateLimitWaitError("k", 900, 100)],
];
/** Codes thrown without a class of their own. */
const UNCLASSED: [code: string, retry: boolean][] = [["BINDPOOL_JOB_BUSY", true]];

const docs = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

/** Every exported class that is a BindpoolError, by name. */
function errorClasses(...modules: Record<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const m of modules) {
    for (const [name, value] of Object.entries(m)) {
      if (typeof value === "function" && value.prototype instanceof BindpoolError) names.add(name);
    }
  }
  return [...names].sort();
}

describe("error codes", () => {
  it("gives each error class its own code, documented, with the right retry advice", () => {
    const listed = [...TABLE.map(([name]) => name), "NotificationError"].sort();
    expect(errorClasses(core, redis, huawei)).toEqual(listed);
    const codes = new Set<string>();
    for (const [name, code, retry, make] of TABLE) {
      const error = make();
      expect(error).toBeInstanceOf(BindpoolError);
      expect([error.name, error.code]).toEqual([name, code]);
      expect(codes.has(code)).toBe(false);
      codes.add(code);
      expect(isRetryable(error)).toBe(retry);
      expect(docs).toContain(`\`${code}\``);
      expect(docs).toContain(`\`${name}\``);
    }
    for (const [code, retry] of UNCLASSED) {
      expect(codes.has(code)).toBe(false);
      expect(isRetryable(new BindpoolError(code as never, "x"))).toBe(retry);
      expect(docs).toContain(`\`${code}\``);
    }
  });

  it("makes notification errors BindpoolErrors with one documented code per reason", () => {
    for (const code of Object.keys(NOTIFICATION_ERROR_STATUS)) {
      const error = new NotificationError(code as never, "push from +8613800000001 refused");
      expect(error).toBeInstanceOf(BindpoolError);
      expect(error.code).toMatch(/^BINDPOOL_NOTIFY_[A-Z_]+$/);
      expect(error.message).not.toContain("8613800000001");
      expect(isRetryable(error)).toBe(false);
      expect(docs).toContain(`\`${code}\``);
    }
  });

  it("refuses a RedisStore given a URL instead of a client, with a ValidationError", () => {
    expect(() => new redis.RedisStore({ redis: "redis://127.0.0.1:6379" as never })).toThrow(
      core.ValidationError,
    );
    expect(() => new redis.RedisStore(undefined as never)).toThrow(core.ValidationError);
  });
});
