import { type RateLimiter, StoreError, ValidationError } from "@bindpool/core";
import { type Command, defineScript, type RedisClient, scriptSource } from "./scripts.js";

export interface RedisRateLimiterOptions {
  /** The Redis every instance sharing the budget talks to. */
  readonly redis: RedisClient;
  /** Key of the budget; one per platform app key, e.g. `bp:rate:<appKey>`. */
  readonly key: string;
  /** Requests per second all instances together may send. */
  readonly requestsPerSecond: number;
  /** Requests that may go back to back after a quiet spell. @default 1 */
  readonly burst?: number;
}

/**
 * A rate budget shared by every process (GCRA, one Lua call per request on the server's clock): N
 * instances together stay under `requestsPerSecond`, with at most `burst` requests at once.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly key: string;
  private readonly intervalUs: number;
  private readonly burst: number;
  private readonly command: Command;

  constructor(options: RedisRateLimiterOptions) {
    const { requestsPerSecond: rps, burst = 1, key } = options;
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
    this.key = key;
    this.intervalUs = 1_000_000 / rps;
    this.burst = burst;
    this.command = defineScript(options.redis, "takePermit-1", scriptSource("takePermit-1"));
  }

  /** Resolves when one more request may be sent. */
  async take(): Promise<void> {
    await this.takeAt();
  }

  /** Like `take`, and tells when the budget granted the request (Redis server clock, µs since the epoch). */
  async takeAt(): Promise<number> {
    for (;;) {
      const { waitUs, nowUs } = await this.tryTake();
      if (waitUs === 0) return nowUs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(waitUs / 1000))));
    }
  }

  /** One try: `waitUs` 0 when granted (at server time `nowUs`), else how long until the next grant may be. */
  async tryTake(): Promise<{ waitUs: number; nowUs: number }> {
    let reply: unknown;
    try {
      reply = await this.command(this.key, this.intervalUs, this.burst);
    } catch (err) {
      throw new StoreError(`Redis rate limiter "${this.key}" failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const [waitUs, nowUs] = reply as [number, number];
    return { waitUs, nowUs };
  }
}
