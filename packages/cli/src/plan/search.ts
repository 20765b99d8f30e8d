/**
 * The search for the smallest pool: per city, the fewest X with which the allocator's picks serve every
 * order (or the chosen share of them). Candidate pools are replayed on the store alone (the allocator's
 * pick, without the calls around it); the answer is then replayed once through the real Allocator.
 */
import { MODE_RULES } from "@bindpool/core";
import type { OrderLog, PlanMode } from "./log.js";
import { type AreaPolicy, allocatorPlacer, type PlanLayout, storePlacer } from "./placers.js";
import {
  type GroupOutcome,
  type GroupPeaks,
  peaksOf,
  type ReplayResult,
  replay,
  timelineOf,
} from "./replay.js";

export interface PlanOptions {
  /** Share of each city's orders to serve, percent (0 < serve <= 100). */
  readonly serve: number;
  readonly area: AreaPolicy;
  /** AXE: extensions per X. */
  readonly extensions: number;
  /** Hears each replay's progress: what it is for, orders started, orders in it. */
  readonly progress?: ((phase: string, done: number, total: number) => void) | undefined;
}

/** The answer for one city of one mode. */
export interface CityPlan {
  readonly mode: PlanMode;
  readonly city: string;
  readonly orders: number;
  /** X numbers to rent for the city. */
  readonly x: number;
  /** Orders one X carries (AXB pairs, AXE extensions, AX 1). */
  readonly capacityPerX: number;
  /** Most orders the busiest X carried in the replay (AXE: extensions in use). */
  readonly peakLoadPerX: number;
  /** The floor no pool goes under: the larger of peak orders / capacity and one user's peak orders. */
  readonly lowerBound: number;
  readonly peakConcurrent: number;
  readonly peakPerUser: number;
  readonly served: number;
  /** Refused for want of an X (within the `serve` share). */
  readonly refused: number;
  /** Refused whatever the pool (AX: the A already held 5 X). */
  readonly unservable: number;
}

export interface Plan {
  readonly serve: number;
  readonly area: AreaPolicy;
  readonly orders: number;
  readonly cities: readonly CityPlan[];
  /** Replays of the search (on the store alone). */
  readonly searchReplays: number;
  readonly searchMs: number;
  /** Whether the replay of the answer through the real Allocator served what the search found. */
  readonly confirmed: boolean;
  readonly confirmMs: number;
}

function capacityOf(mode: PlanMode, extensions: number): number {
  return mode === "AXE" ? extensions : MODE_RULES[mode].defaultCapacity;
}

/** Searches the plan of every city in the log, then confirms it through the allocator. */
export async function plan(log: OrderLog, options: PlanOptions): Promise<Plan> {
  const started = performance.now();
  const search = new Search(log, options);
  const xs = await search.run();
  const searchMs = performance.now() - started;

  const confirmedAt = performance.now();
  const outcomes = new Map<number, GroupOutcome>();
  let confirmed = true;
  for (const mode of search.modes()) {
    const groups = search.groupsOf(mode);
    const layout = search.layout(mode, xs);
    const result = await search.replay(
      groups,
      layout,
      allocatorPlacer,
      `confirming ${mode} through the allocator`,
    );
    confirmed &&= result.complete;
    for (const [g, o] of result.groups) outcomes.set(g, o);
  }
  const cities = [...xs].map(([g, x]): CityPlan => {
    const { mode, city } = log.groups[g]!;
    const peaks = search.peaks.get(g)!;
    const o = outcomes.get(g)!;
    return {
      mode,
      city,
      orders: peaks.orders,
      x,
      capacityPerX: capacityOf(mode, options.extensions),
      peakLoadPerX: o.peakLoadPerX,
      lowerBound: search.lowerBound(g),
      peakConcurrent: peaks.concurrent,
      peakPerUser: peaks.perUser,
      served: o.served,
      refused: o.refused,
      unservable: o.unservable,
    };
  });
  cities.sort((a, b) => a.mode.localeCompare(b.mode) || a.city.localeCompare(b.city));
  return {
    serve: options.serve,
    area: options.area,
    orders: log.count,
    cities,
    searchReplays: search.replays,
    searchMs: Math.round(searchMs),
    confirmed,
    confirmMs: Math.round(performance.now() - confirmedAt),
  };
}

class Search {
  readonly peaks: Map<number, GroupPeaks>;
  /** Refusals each group may have and still meet `serve`. */
  private readonly allowed = new Map<number, number>();
  private readonly timelines = new Map<string, ReturnType<typeof timelineOf>>();
  replays = 0;

  constructor(
    private readonly log: OrderLog,
    private readonly options: PlanOptions,
  ) {
    const all = new Set(log.groups.map((_, g) => g));
    this.peaks = peaksOf(log, timelineOf(log, all), MODE_RULES.AX.maxXPerUser);
    for (const [g, p] of this.peaks) {
      const servable = p.orders - p.unservable;
      // The epsilon keeps 99.5% of 1000 at 5 refusals despite floating point.
      this.allowed.set(g, Math.floor((servable * (100 - options.serve)) / 100 + 1e-9));
    }
  }

  modes(): PlanMode[] {
    return [...new Set(this.log.groups.map((g) => g.mode))];
  }

  groupsOf(mode: PlanMode): number[] {
    return this.log.groups.flatMap((g, i) => (g.mode === mode ? [i] : []));
  }

  layout(mode: PlanMode, xs: ReadonlyMap<number, number>): PlanLayout {
    const mine = new Map(this.groupsOf(mode).map((g) => [g, xs.get(g) ?? 0]));
    return {
      log: this.log,
      mode,
      xs: mine,
      capacity: capacityOf(mode, this.options.extensions),
      area: this.options.area,
    };
  }

  /** The floor of any pool that serves all of a group's orders. */
  lowerBound(g: number): number {
    const p = this.peaks.get(g)!;
    const { mode } = this.log.groups[g]!;
    const byLoad = Math.ceil(p.concurrent / capacityOf(mode, this.options.extensions));
    // AX: one A per X, so the per-user peak says nothing more than the concurrency.
    return mode === "AX" ? byLoad : Math.max(byLoad, p.perUser);
  }

  async run(): Promise<Map<number, number>> {
    const xs = new Map<number, number>();
    for (const g of this.peaks.keys()) xs.set(g, await this.strict(g));
    // With its strict counts every city serves itself on the first rung, so a ladder does the same;
    // from there, each city in turn gives up what the others can cover.
    if (this.options.area === "ladder") for (const mode of this.modes()) await this.ladder(mode, xs);
    return xs;
  }

  /** Replays `groups` on `layout` with the given placer; every group must stay within its refusals. */
  async replay(
    groups: readonly number[],
    layout: PlanLayout,
    place: typeof storePlacer,
    phase: string,
  ): Promise<ReplayResult> {
    const key = groups.join(",");
    let timeline = this.timelines.get(key);
    if (timeline === undefined) {
      timeline = timelineOf(this.log, new Set(groups));
      this.timelines.set(key, timeline);
    }
    const total = timeline.byStart.length;
    const { progress } = this.options;
    return replay(
      this.log,
      timeline,
      await place(layout),
      this.allowed,
      progress && ((done) => progress(phase, done, total)),
    );
  }

  /** Whether `xs` serves every group of the mode (the store's picks). */
  private async serves(mode: PlanMode, groups: readonly number[], xs: ReadonlyMap<number, number>) {
    this.replays++;
    const counts = [...groups].map((g) => `${this.log.groups[g]!.city} ${xs.get(g) ?? 0}`).join(", ");
    const layout = this.layout(mode, xs);
    return (await this.replay(groups, layout, storePlacer, `${mode}: trying ${counts} X`)).complete;
  }

  /**
   * The fewest X for one city on its own: from the floor, stepping up until a pool serves, then halving
   * the gap. Assumes more X never serve fewer orders (true of the least-loaded pick in every log we
   * tried; a pool found this way serves, even where a smaller one would too).
   */
  private async strict(g: number): Promise<number> {
    const p = this.peaks.get(g)!;
    const { mode } = this.log.groups[g]!;
    const allowed = this.allowed.get(g)!;
    if (p.orders - p.unservable <= allowed) return 0;
    const floor = this.lowerBound(g);
    // One X per open order always serves: an idle X takes any pair.
    const ceiling = Math.max(p.concurrent, 1);
    const found = await this.climb(floor, ceiling, false, (n) => this.serves(mode, [g], new Map([[g, n]])));
    if (found === undefined)
      throw new Error(`no pool up to ${ceiling} X serves ${mode} ${this.log.groups[g]!.city}`);
    return found;
  }

  /**
   * The smallest pool from `floor` up to `ceiling` that passes `test` (undefined when none does). Below
   * the floor nothing serves every order; with a share to serve, anything from 1 may. The answer is
   * mostly at or just above the floor, so it steps up by 1, 2, 4, ... rather than bisecting from the
   * ceiling: a pool too small stops at its first refusal beyond the allowed ones, while one that serves
   * replays every order, and bisecting from above replays mostly pools that serve. `ceilingServes`:
   * the ceiling is known to serve and is not replayed.
   */
  private async climb(
    floor: number,
    ceiling: number,
    ceilingServes: boolean,
    test: (n: number) => Promise<boolean>,
  ): Promise<number | undefined> {
    let lo = this.options.serve === 100 ? floor - 1 : 0;
    let hi = Math.min(Math.max(floor, 1), ceiling);
    for (let step = 1; ; step *= 2) {
      if (hi >= ceiling && ceilingServes) break;
      if (await test(hi)) break;
      if (hi >= ceiling) return undefined;
      lo = hi;
      hi = Math.min(ceiling, hi + step);
    }
    return this.narrow(lo, hi, test);
  }

  /** Smallest n in (lo, hi] that passes `test`, given `hi` passes and `lo` does not. */
  private async narrow(lo: number, hi: number, test: (n: number) => Promise<boolean>): Promise<number> {
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await test(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /**
   * Ladder: the cities of a mode share one pool, so the question is the pool's total, from the highest
   * city floor up, each total split among the cities in proportion to their strict counts. Serving
   * every order, the strict counts serve (every city serves itself on the first rung, so the ladder
   * changes nothing) and the strict sum is the ceiling, never replayed. Serving a share, they may not:
   * an order a city may refuse under strict takes another city's X under the ladder, which that city
   * then misses; the ceiling is then one X per order open at once in the mode, where an idle X always
   * takes the next order. A city keeps X of its own for its own orders first; the busiest user of any
   * city sets the floor.
   */
  private async ladder(mode: PlanMode, xs: Map<number, number>): Promise<void> {
    const groups = this.groupsOf(mode);
    const strict = groups.map((g) => xs.get(g)!);
    const total = strict.reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const split = (t: number) => new Map(proportional(t, strict).map((n, i) => [groups[i]!, n]));
    const all = this.options.serve === 100;
    const floor = all ? Math.max(...groups.map((g) => this.lowerBound(g))) : 0;
    // The sum of the cities' peaks is at least the mode's peak of open orders.
    const open = groups.reduce((sum, g) => sum + this.peaks.get(g)!.concurrent, 0);
    const ceiling = all ? total : Math.max(total, open);
    const best = (await this.climb(floor, ceiling, true, (t) => this.serves(mode, groups, split(t))))!;
    for (const [g, n] of split(best)) xs.set(g, n);
  }
}

/** `total` split in proportion to `weights`, in whole numbers (largest remainders get the rest). */
export function proportional(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}
