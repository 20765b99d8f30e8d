import { z } from "zod";
import type { PlatformDriver } from "../driver/index.js";
import { ValidationError } from "../errors/index.js";
import type { OrderLock } from "../lock/index.js";
import { maskPhones, type PoolConfig, PoolConfigSchema, type Strategy } from "../model/index.js";
import type { Logger } from "../observability/logging.js";
import { type Scheduler, type Tuning, TuningSchema } from "../runtime/tuning.js";
import type { Store } from "../store/index.js";

export interface AllocatorOptions {
  /** Where pool state lives. `new MemoryStore()` for one process, `RedisStore` for many. */
  readonly store: Store;
  /** The platform, e.g. `new HuaweiDriver({...})`. */
  readonly driver: PlatformDriver;
  /** The pools this allocator serves, with their X numbers. */
  readonly pools: readonly PoolConfig[];
  /** Cross-instance lock per orderKey (e.g. `RedisLock`). @default in-process only */
  readonly lock?: OrderLock;
  /** Milliseconds since the epoch; inject for tests of leases. @default Date.now */
  readonly clock?: () => number;
  /**
   * Waits and randomness (backoff delays, jitter, polling for another caller's allocation). Inject with
   * `clock` to run allocators on simulated time (the deterministic simulation does). @default timers and `Math.random`
   */
  readonly scheduler?: Scheduler;
  /** How long a reservation holds X while the platform bind is in flight. @default 30_000 */
  readonly leaseMs?: number;
  /**
   * How long an order's cross-process lock (`lock`) outlives its holder: the lock is extended while the
   * call runs, so this only bounds how long a dead instance's orders wait for another instance. At least
   * 150. @default 5_000
   */
  readonly lockTtlMs?: number;
  /** Most distinct X numbers tried for one allocation. @default 5 */
  readonly maxAttempts?: number;
  /**
   * How long an X stays out of picks after the platform said it is full, or gave a conflict answer whose
   * blocking binding could not be found (a found one only fences its users off X). @default 60_000
   */
  readonly cooldownMs?: number;
  /** How long an X the platform called abnormal stays quarantined; 0: until an operator lifts it. @default 600_000 */
  readonly quarantineMs?: number;
  /** Seconds added to the order's TTL for the platform binding's duration. @default 60 */
  readonly graceSeconds?: number;
  /** How to choose among valid X numbers. @default { name: "leastLoaded" } */
  readonly strategy?: Strategy;
  /** Retries of one platform call on transient errors and flow control. @default 3 */
  readonly transientRetries?: number;
  /** First backoff delay in ms, doubled per retry with jitter. @default 100 */
  readonly backoffMs?: number;
  /** Longest backoff delay in ms. @default 5_000 */
  readonly maxBackoffMs?: number;
  /**
   * Order lifetime, in seconds, given to a binding the sweeper adopts when the platform does not report
   * the binding's duration (or reports it permanent). @default 3_600
   */
  readonly adoptTtlSeconds?: number;
  /** When an unbind fails, how long until the sweeper retries it, ms. @default 5_000 */
  readonly unbindRetryMs?: number;
  /** How long to wait for another caller's allocation of the same orderKey. @default leaseMs */
  readonly pendingWaitMs?: number;
  /** Structured logs (pino-compatible); phone numbers are masked. @default none */
  readonly logger?: Logger;
  /** Called when an event listener throws. @default ignore (counted in `listenerErrors`) */
  readonly onListenerError?: (error: unknown) => void;
  /**
   * Whether `init` (run on first use) writes `pools` into the store. `false` for tools that only look at
   * or operate on pools the app instances keep (the `bindpool` CLI): a stale copy of the config then never
   * changes a live pool. @default true
   */
  readonly writePools?: boolean;
}

/** Validates the options; throws `ValidationError` naming the bad field and value. */
export function parseOptions(options: AllocatorOptions): {
  tuning: Tuning;
  pools: z.infer<typeof PoolConfigSchema>[];
} {
  if (options === null || typeof options !== "object") {
    throw new ValidationError(
      `Allocator options must be an object with store, driver and pools (got ${describe(options)}).`,
    );
  }
  const { store, driver, pools, lock, clock, scheduler, onListenerError, logger, writePools, ...tuning } =
    options;
  if (store === undefined || driver === undefined) {
    throw new ValidationError("Allocator needs a `store` and a `driver`.");
  }
  requireMethods("store", store, ["upsertPool", "reserve", "confirm", "release", "get", "entries"]);
  requireMethods("driver", driver, ["bind", "unbind", "modify", "query"]);
  if (lock !== undefined) requireMethods("lock", lock, ["using"]);
  if (scheduler !== undefined) requireMethods("scheduler", scheduler, ["sleep", "random"]);
  if (logger !== undefined) requireMethods("logger", logger, ["debug", "info", "warn", "error"]);
  for (const [name, fn] of [
    ["clock", clock],
    ["onListenerError", onListenerError],
  ] as const) {
    if (fn !== undefined && typeof fn !== "function") {
      throw new ValidationError(`Allocator option \`${name}\` must be a function (got ${describe(fn)}).`, [
        { path: name, message: "not a function" },
      ]);
    }
  }
  if (writePools !== undefined && typeof writePools !== "boolean") {
    throw new ValidationError(
      `Allocator option \`writePools\` must be true or false (got ${describe(writePools)}).`,
      [{ path: "writePools", message: "not a boolean" }],
    );
  }
  const parsedTuning = TuningSchema.safeParse(tuning);
  if (!parsedTuning.success) throw fromZod("Invalid allocator options", parsedTuning.error, tuning);
  const parsedPools = z.array(PoolConfigSchema).min(1, "configure at least one pool").safeParse(pools);
  if (!parsedPools.success) throw fromZod("Invalid pool configuration", parsedPools.error, pools);
  const ids = new Set<string>();
  // An X in two pools would be two pools' business at the platform: reconciling one would unbind the
  // other's orders on it.
  const poolOf = new Map<string, string>();
  for (const pool of parsedPools.data) {
    if (ids.has(pool.id)) throw new ValidationError(`Pool "${pool.id}" is configured twice.`);
    ids.add(pool.id);
    for (const n of pool.numbers) {
      const owner = poolOf.get(n.x);
      if (owner === pool.id) throw new ValidationError(`Pool "${pool.id}" lists X number ${n.x} twice.`);
      if (owner !== undefined) {
        throw new ValidationError(
          `X number ${n.x} is in pools "${owner}" and "${pool.id}"; an X belongs to one pool.`,
          [{ path: "pools", message: "X in two pools" }],
        );
      }
      poolOf.set(n.x, pool.id);
    }
  }
  return { tuning: parsedTuning.data, pools: parsedPools.data };
}

/** Refuses an option that is not an object with the methods bindpool calls on it. */
function requireMethods(name: string, value: unknown, methods: readonly string[]): void {
  const missing =
    value === null || typeof value !== "object"
      ? methods
      : methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== "function");
  if (missing.length > 0) {
    throw new ValidationError(
      `Allocator option \`${name}\` must be an object with ${methods.join(", ")} (missing ${missing.join(", ")}; got ${describe(value)}).`,
      [{ path: name, message: `missing ${missing.join(", ")}` }],
    );
  }
}

/** Turns zod issues into a `ValidationError` whose message names each bad path and the value received. */
export function fromZod(what: string, error: z.ZodError, input: unknown): ValidationError {
  const issues = error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message }));
  const detail = error.issues
    .map((i) => {
      const path = i.path.join(".") || "(root)";
      return `${path}: ${i.message} (got ${describe(valueAt(input, i.path))})`;
    })
    .join("; ");
  return new ValidationError(`${what}: ${detail}`, issues);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** A received value for a message: short, and with phone numbers masked as in every other message. */
function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (typeof v === "function") return "a function";
  const s = maskPhones(JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
