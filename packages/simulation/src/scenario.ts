import type { Faults } from "./platform.js";
import { Random } from "./random.js";

export interface PoolPlan {
  readonly id: string;
  readonly mode: "AXB" | "AX" | "AXE";
  readonly numbers: readonly { readonly x: string; readonly capacity: number }[];
}

/** Everything a seed decides before the run: sizes, tunings, fault rates and the workload's shape. */
export interface Scenario {
  readonly seed: number;
  /** `paging`: one X carries > 250 live orders, so its listing has several pages. */
  readonly shape: "small" | "paging";
  readonly instances: number;
  readonly leaseMs: number;
  /** The order lock's TTL (kept alive by extension while a call runs). */
  readonly lockTtlMs: number;
  readonly graceSeconds: number;
  /** Virtual length of the workload, before the final quiesce. */
  readonly runMs: number;
  readonly faults: Faults;
  readonly lockExtendFailure: number;
  /** Instance pauses (GC, blocked event loop) per virtual minute, and how long each lasts. */
  readonly pausesPerMinute: number;
  readonly pauseMs: readonly [number, number];
  readonly killsPerMinute: number;
  /** Whether the store loses all its data once (only when the store can, `loseData`). */
  readonly dataLoss: boolean;
  readonly sweepEveryMs: readonly [number, number];
  readonly reconcileEveryMs: readonly [number, number];
  readonly strategy: "leastLoaded" | "pack";
  readonly pools: readonly PoolPlan[];
  readonly workload: {
    /** Orders opened in the first seconds, living `burstLifetimeMs`. */
    readonly burst: number;
    readonly burstLifetimeMs: readonly [number, number];
    /** New orders per virtual second after that. */
    readonly perSecond: number;
    readonly lifetimeMs: readonly [number, number];
    readonly reassignChance: number;
    readonly extendChance: number;
    readonly stickyChance: number;
    /** Rider and driver numbers to draw from; 0: a fresh one for every order. */
    readonly riders: number;
    readonly drivers: number;
    /** Share of new orders that go to the AX pool, when there is one. */
    readonly axShare: number;
    /**
     * Put before every orderKey: any string is a valid orderKey, including ones that look like the names
     * the library makes up for itself.
     */
    readonly keyPrefix: string;
  };
}

export const xNumber = (i: number) => `+861700${String(i).padStart(5, "0")}`;
export const rider = (i: number) => `+86130${String(i).padStart(8, "0")}`;
export const driver = (i: number) => `+86150${String(i).padStart(8, "0")}`;

/** The scenario of a seed; `canLoseData` false keeps the store's data in every seed. */
export function scenarioFor(seed: number, canLoseData: boolean): Scenario {
  const r = new Random(seed ^ 0x5eed);
  const shape = r.chance(0.2) ? "paging" : "small";
  const keyPrefix = r.chance(0.1) ? r.pick(["foreign:", "adopted:", "unbind:", "order/"]) : "";
  const leaseMs = r.pick([1_000, 2_000, 3_000]);
  const timeoutMs = r.pick([800, 2_000, 4_000]);
  const calm = r.chance(0.15);
  const faults: Faults = {
    transient: calm ? 0 : r.pick([0, 0.02, 0.1, 0.2]),
    drop: calm ? 0 : r.pick([0, 0.01, 0.05]),
    lostAnswer: calm ? 0 : r.pick([0, 0.01, 0.05]),
    stall: calm ? 0 : r.pick([0, 0.01, 0.05]),
    stallMs: [leaseMs / 2, leaseMs * 2],
    latencyMs: r.pick([
      [1, 10],
      [5, 60],
      [20, 200],
    ] as const),
    timeoutMs,
  };
  const pools: PoolPlan[] = [];
  let xs = 0;
  if (shape === "paging") {
    pools.push({
      id: "city",
      mode: "AXB",
      numbers: [
        { x: xNumber(xs++), capacity: 400 },
        { x: xNumber(xs++), capacity: 30 },
        { x: xNumber(xs++), capacity: 30 },
      ],
    });
  } else {
    const n = r.between(2, 5);
    pools.push({
      id: "city",
      mode: "AXB",
      numbers: Array.from({ length: n }, () => ({ x: xNumber(xs++), capacity: r.between(2, 8) })),
    });
    if (r.chance(0.3)) {
      pools.push({
        id: "ax",
        mode: "AX",
        numbers: Array.from({ length: r.between(3, 8) }, () => ({ x: xNumber(xs++), capacity: 1 })),
      });
    }
    if (r.chance(0.3)) {
      // One-digit extensions: capacity below the extension space, so the store's pick of the lowest
      // free extension is what keeps bindings apart.
      pools.push({
        id: "axe",
        mode: "AXE",
        numbers: Array.from({ length: r.between(2, 4) }, () => ({
          x: xNumber(xs++),
          capacity: r.between(2, 6),
        })),
      });
    }
  }
  return {
    seed,
    shape,
    instances: r.between(2, 4),
    leaseMs,
    // As production scales it: a lock TTL well under the lease (5 s against 30 s by default).
    lockTtlMs: Math.max(150, leaseMs / 4),
    graceSeconds: 10,
    runMs: shape === "paging" ? 35_000 : 30_000,
    faults,
    lockExtendFailure: calm ? 0 : r.pick([0, 0, 0.01]),
    pausesPerMinute: calm ? 0 : r.pick([0, 2, 6]),
    pauseMs: [leaseMs / 2, leaseMs * 2],
    killsPerMinute: calm ? 0 : r.pick([0, 1, 4]),
    dataLoss: canLoseData && !calm && r.chance(0.15),
    sweepEveryMs: [500, 1_500],
    reconcileEveryMs: r.pick([
      [200, 1_000],
      [1_000, 5_000],
    ] as const),
    strategy: shape === "paging" ? "pack" : r.pick(["leastLoaded", "pack"] as const),
    pools,
    workload:
      shape === "paging"
        ? {
            burst: 270,
            burstLifetimeMs: [15_000, 30_000],
            perSecond: 6,
            lifetimeMs: [2_000, 10_000],
            reassignChance: 0.1,
            extendChance: 0.05,
            stickyChance: 1,
            riders: 0,
            drivers: 0,
            axShare: 0,
            keyPrefix,
          }
        : {
            burst: r.between(0, 10),
            burstLifetimeMs: [5_000, 20_000],
            perSecond: r.pick([0.5, 1, 2, 4]),
            lifetimeMs: [1_000, 12_000],
            reassignChance: r.pick([0.1, 0.3, 0.6]),
            extendChance: r.pick([0, 0.1, 0.3]),
            stickyChance: r.pick([0, 0.5]),
            riders: r.between(4, 16),
            drivers: r.between(4, 16),
            axShare: pools.length > 1 ? 0.25 : 0,
            keyPrefix,
          },
  };
}
