import {
  BindpoolError,
  RATE_WINDOW_MARGIN_MS,
  type RateLimiter,
  StoreError,
  ValidationError,
} from "@bindpool/core";
import { type Command, defineScript, type RedisClient, scriptSource } from "./scripts.js";

export interface RedisRateLimiterOptions {
  /** The Redis every instance sharing the budget talks to. */
  readonly redis: RedisClient;
  /** Key of the budget; one per platform app key, e.g. `bp:rate:<appKey>`. */
  readonly key: string;
  /**
   * Requests all instances together may start per second: the platform's limit for the app key. Grants
   * are paced on the Redis clock, `requestsPerSecond` per 1 000 + `windowMarginMs` ms.
   */
  readonly requestsPerSecond: number;
  /**
   * Extra length of each second, ms, as in the Huawei driver's local window: a request leaves its process
   * a little after its grant (reply latency, timers, event-loop delays) and the margin keeps those delays
   * from putting more than `requestsPerSecond` arrivals into one second at the platform. 0 paces at
   * exactly `requestsPerSecond`. @default RATE_WINDOW_MARGIN_MS (20)
   */
  readonly windowMarginMs?: number;
  /** Requests that may go back to back after a quiet spell. @default 1 */
  readonly burst?: number;
  /**
   * Longest a `take` waits for its slot, ms; when the budget is booked further ahead, `take` rejects
   * with `RateLimitWaitError` without using a slot. @default Infinity (queue for as long as it takes)
   */
  readonly maxWaitMs?: number;
}

/**
 * The shared budget is booked further ahead than the caller's `maxWaitMs`; no slot was taken and nothing
 * was sent (code `BINDPOOL_RATE_LIMIT_WAIT`): the request did not go, retry later.
 */
export class RateLimitWaitError extends BindpoolError {
  /** How long the next slot is away, ms. */
  readonly waitMs: number;
  readonly maxWaitMs: number;
  constructor(key: string, waitMs: number, maxWaitMs: number) {
    super(
      "BINDPOOL_RATE_LIMIT_WAIT",
      `The shared rate budget "${key}" is booked ${waitMs} ms ahead, beyond maxWaitMs ${maxWaitMs}; the request was not sent. Retry later, or raise maxWaitMs or requestsPerSecond.`,
    );
    this.waitMs = waitMs;
    this.maxWaitMs = maxWaitMs;
  }
}

/** Options of one `take` / `takeAt` call. */
export interface TakeOptions {
  /** Overrides the limiter's `maxWaitMs` for this call. */
  readonly maxWaitMs?: number;
}

/**
 * A rate budget shared by every process (GCRA on the Redis server's clock): N instances together start at
 * most `requestsPerSecond` requests a second, with at most `burst` at once. Each `take` is ONE script
 * call, however many callers wait: the script books the caller's slot and answers how long until it, and
 * the caller sleeps that long (no retry loop, so no thundering herd under contention).
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly key: string;
  private readonly intervalUs: number;
  private readonly burst: number;
  private readonly maxWaitMs: number;
  private readonly command: Command;

  constructor(options: RedisRateLimiterOptions) {
    const {
      requestsPerSecond: rps,
      burst = 1,
      key,
      maxWaitMs = Number.POSITIVE_INFINITY,
      windowMarginMs = RATE_WINDOW_MARGIN_MS,
    } = options;
    if (!(Number.isFinite(rps) && rps > 0)) {
      throw new ValidationError(
        `RedisRateLimiter \`requestsPerSecond\` must be a positive number, got ${rps}.`,
      );
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new ValidationError(`RedisRateLimiter \`burst\` must be an integer of at least 1, got ${burst}.`);
    }
    if (typeof key !== "string" || key.length === 0) {
      throw new ValidationError(
        `RedisRateLimiter \`key\` must be a non-empty string, got ${JSON.stringify(key)}.`,
      );
    }
    if (!(Number.isFinite(windowMarginMs) && windowMarginMs >= 0)) {
      throw new ValidationError(
        `RedisRateLimiter \`windowMarginMs\` must be a number of at least 0, got ${windowMarginMs}.`,
      );
    }
    checkMaxWait(maxWaitMs);
    this.key = key;
    this.intervalUs = ((1_000 + windowMarginMs) * 1_000) / rps;
    this.burst = burst;
    this.maxWaitMs = maxWaitMs;
    this.command = defineScript(options.redis, "takePermit-1", scriptSource("takePermit-1"));
  }

  /**
   * Resolves when one more request may be sent (one Redis call, then a sleep until the booked slot).
   * Rejects with `RateLimitWaitError` when the slot would be more than `maxWaitMs` away.
   */
  async take(options?: TakeOptions): Promise<void> {
    await this.takeAt(options);
  }

  /** Like `take`, and tells the booked grant time (Redis server clock, µs since the epoch). */
  async takeAt(options?: TakeOptions): Promise<number> {
    const maxWaitMs = options?.maxWaitMs ?? this.maxWaitMs;
    if (options?.maxWaitMs !== undefined) checkMaxWait(maxWaitMs);
    const maxWaitUs = Number.isFinite(maxWaitMs) ? Math.floor(maxWaitMs * 1000) : "";
    const { taken, waitUs, nowUs } = await this.call(maxWaitUs);
    if (!taken) throw new RateLimitWaitError(this.key, Math.ceil(waitUs / 1000), maxWaitMs);
    if (waitUs > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(waitUs / 1000)));
    return nowUs + waitUs;
  }

  /**
   * Takes a slot only if it is free now: `waitUs` 0 when granted (at server time `nowUs`), else how long
   * until the next slot (nothing is taken then).
   */
  async tryTake(): Promise<{ waitUs: number; nowUs: number }> {
    const { waitUs, nowUs } = await this.call(0);
    return { waitUs, nowUs };
  }

  private async call(maxWaitUs: number | ""): Promise<{ taken: boolean; waitUs: number; nowUs: number }> {
    let reply: unknown;
    try {
      reply = await this.command(this.key, this.intervalUs, this.burst, maxWaitUs);
    } catch (err) {
      throw new StoreError(`Redis rate limiter "${this.key}" failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const [taken, waitUs, nowUs] = reply as [number, number, number];
    return { taken: taken === 1, waitUs, nowUs };
  }
}

function checkMaxWait(maxWaitMs: number): void {
  if (!(maxWaitMs >= 0)) {
    throw new ValidationError(
      `RedisRateLimiter \`maxWaitMs\` must be a number of at least 0, got ${maxWaitMs}.`,
    );
  }
}
