import type { Allocator, BindpoolError } from "@bindpool/core";

/** Knobs of one run of the ride-hailing scenario. */
export interface ScenarioOptions {
  readonly pool: string;
  readonly orders: number;
  /** Orders in progress at once. */
  readonly concurrency: number;
  readonly riders: number;
  readonly drivers: number;
  /** City codes riders order from. */
  readonly cities: readonly string[];
  /** How long a ride lasts, ms: uniform in [min, max]. */
  readonly rideMs: readonly [number, number];
  /** Offset of order numbers, so several processes make distinct orderKeys. */
  readonly firstOrder?: number;
  /** Called after each finished order. */
  readonly onProgress?: (done: number) => void;
}

export interface ScenarioResult {
  readonly completed: number;
  /** Orders that could not get a number, by error code. */
  readonly failed: Readonly<Record<string, number>>;
  /** Allocation latencies, ms. */
  readonly latenciesMs: readonly number[];
  /** Most orders bound at once. */
  readonly peakBound: number;
}

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

/**
 * Riders order rides, each ride gets a driver and a masked number (allocate), runs a little, and
 * completes (release). Riders often have several rides at once, so the per-X rules are exercised.
 */
export async function runScenario(allocator: Allocator, o: ScenarioOptions): Promise<ScenarioResult> {
  const latenciesMs: number[] = [];
  const failed: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let bound = 0;
  let peakBound = 0;
  const first = o.firstOrder ?? 0;
  const random = (n: number) => Math.floor(Math.random() * n);

  const worker = async () => {
    while (next < o.orders) {
      const n = first + next++;
      const orderKey = `ride-${n}`;
      // A skewed rider choice: a few busy riders hold several rides at once.
      const rider = phone("138", random(o.riders) % (random(4) === 0 ? 8 : o.riders));
      const driver = phone("139", random(o.drivers));
      const city = o.cities[random(o.cities.length)]!;
      const started = performance.now();
      try {
        await allocator.allocate({
          pool: o.pool,
          orderKey,
          a: rider,
          b: driver,
          ttlSeconds: 3_600,
          area: { city, match: "ladder" },
        });
        latenciesMs.push(performance.now() - started);
        bound++;
        peakBound = Math.max(peakBound, bound);
        const [min, max] = o.rideMs;
        await new Promise((r) => setTimeout(r, min + Math.random() * (max - min)));
        // An unbind the platform refuses now is queued in the store and finished by the sweeper.
        await allocator.complete(orderKey, o.pool);
        bound--;
      } catch (error) {
        const code = (error as BindpoolError).code ?? "UNEXPECTED";
        failed[code] = (failed[code] ?? 0) + 1;
      }
      o.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return {
    completed: done - Object.values(failed).reduce((s, n) => s + n, 0),
    failed,
    latenciesMs,
    peakBound,
  };
}
