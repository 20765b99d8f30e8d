import { z } from "zod";
import { type PoolConfig, StrategySchema } from "../model/index.js";

/** A pool as the allocator serves it (parsed configuration). */
export type ParsedPool = Required<Pick<PoolConfig, "id" | "mode">> & PoolConfig;

/** Where the allocator waits and draws random numbers; see `AllocatorOptions.scheduler`. */
export interface Scheduler {
  /** Resolves after `ms` milliseconds of the allocator's clock. */
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/**
 * A `Scheduler.random` that draws the same sequence for the same seed on every machine (mulberry32): for
 * simulations, benchmarks and generated workloads.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const realScheduler: Scheduler = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export const TuningSchema = z.strictObject({
  leaseMs: z.number().int().min(100).default(30_000),
  lockTtlMs: z.number().int().min(150).default(5_000),
  maxAttempts: z.number().int().min(1).max(100).default(5),
  cooldownMs: z.number().int().min(0).default(60_000),
  quarantineMs: z.number().int().min(0).default(600_000),
  graceSeconds: z.number().int().min(0).max(86_400).default(60),
  strategy: StrategySchema.default({ name: "leastLoaded" }),
  transientRetries: z.number().int().min(0).max(20).default(3),
  backoffMs: z.number().int().min(0).default(100),
  maxBackoffMs: z.number().int().min(0).default(5_000),
  adoptTtlSeconds: z.number().int().positive().max(7_776_000).default(3_600),
  unbindRetryMs: z.number().int().min(0).default(5_000),
  pendingWaitMs: z.number().int().min(0).optional(),
});

export type Tuning = z.infer<typeof TuningSchema>;
