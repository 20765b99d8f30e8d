/**
 * One replay of (part of) an order log on a virtual clock: each order allocates at its start and
 * completes at its end, in time order (an order ending at t frees its X before one starting at t takes
 * one). Two ways to place orders share the loop: the store alone (the search) and the real allocator
 * (the confirmation).
 */
import { NO_USER, type OrderLog } from "./log.js";

/** How one allocation went. */
export type Placement = "served" | "refused" | "unservable";

/** Places and frees orders; `nowMs` is the virtual clock at the call. */
export interface Placer {
  allocate(order: number, nowMs: number): Promise<Placement>;
  complete(order: number, nowMs: number): Promise<void>;
  /** The X an order that was served got, for the load per X. */
  xOf(order: number): string | undefined;
}

/** The orders of a replay, by start and by end (indices into the log). */
export interface Timeline {
  readonly byStart: Uint32Array;
  readonly byEnd: Uint32Array;
}

export interface GroupOutcome {
  served: number;
  /** No X could take the order (the pool was too small). */
  refused: number;
  /** The platform's rules refuse it whatever the pool (AX: A already holds 5 X). */
  unservable: number;
  /** Most orders one X carried at once (AXE: extensions in use on the busiest X). */
  peakLoadPerX: number;
}

export interface ReplayResult {
  /** False when the replay stopped early: a group refused more than it may. */
  readonly complete: boolean;
  readonly groups: ReadonlyMap<number, GroupOutcome>;
}

/** Every order of `groups`, sorted by start and by end (stable: ties keep log order). */
export function timelineOf(log: OrderLog, groups: ReadonlySet<number>): Timeline {
  const picked: number[] = [];
  for (let i = 0; i < log.count; i++) if (groups.has(log.group[i]!)) picked.push(i);
  const byStart = Uint32Array.from(picked).sort((i, j) => log.startMs[i]! - log.startMs[j]! || i - j);
  const byEnd = Uint32Array.from(picked).sort((i, j) => log.endMs[i]! - log.endMs[j]! || i - j);
  return { byStart, byEnd };
}

/**
 * Replays the timeline through `placer`. Stops as soon as a group refuses more than `allowedRefusals`
 * of it allows (the answer is then "too few X" and the rest would not change it). `progress` hears the
 * orders started so far.
 */
export async function replay(
  log: OrderLog,
  timeline: Timeline,
  placer: Placer,
  allowedRefusals: ReadonlyMap<number, number>,
  progress?: (started: number) => void,
): Promise<ReplayResult> {
  const { byStart, byEnd } = timeline;
  const served = new Uint8Array(log.count);
  const groups = new Map<number, GroupOutcome>();
  const loadOf = new Map<string, number>();
  let e = 0;
  for (let s = 0; s < byStart.length; s++) {
    const order = byStart[s]!;
    const nowMs = log.startMs[order]!;
    for (; e < byEnd.length && log.endMs[byEnd[e]!]! <= nowMs; e++) {
      const ended = byEnd[e]!;
      if (served[ended] !== 1) continue;
      const x = placer.xOf(ended)!;
      await placer.complete(ended, log.endMs[ended]!);
      loadOf.set(x, loadOf.get(x)! - 1);
    }
    const g = log.group[order]!;
    let outcome = groups.get(g);
    if (outcome === undefined) {
      outcome = { served: 0, refused: 0, unservable: 0, peakLoadPerX: 0 };
      groups.set(g, outcome);
    }
    const placement = await placer.allocate(order, nowMs);
    outcome[placement]++;
    if (placement === "served") {
      served[order] = 1;
      const x = placer.xOf(order)!;
      const load = (loadOf.get(x) ?? 0) + 1;
      loadOf.set(x, load);
      if (load > outcome.peakLoadPerX) outcome.peakLoadPerX = load;
    } else if (placement === "refused" && outcome.refused > (allowedRefusals.get(g) ?? 0)) {
      return { complete: false, groups };
    }
    if (progress !== undefined && (s & 4095) === 0) progress(s);
  }
  progress?.(byStart.length);
  return { complete: true, groups };
}

/** Peaks a group's orders reach, from one sweep: the floors of any plan that serves them all. */
export interface GroupPeaks {
  readonly orders: number;
  /** Most orders open at once (AX: of those the 5-X limit per A lets through). */
  readonly concurrent: number;
  /** Most open orders one user takes part in at once (each needs an X of its own). */
  readonly perUser: number;
  /** AX: orders refused whatever the pool (their A already held the most X). */
  readonly unservable: number;
}

/**
 * Peak concurrency of every group, overall and per user, with one sweep. In AX an order whose A already
 * holds `maxXPerA` X is refused whatever the pool, so it takes no X and does not count.
 */
export function peaksOf(log: OrderLog, timeline: Timeline, maxXPerA: number): Map<number, GroupPeaks> {
  const { byStart, byEnd } = timeline;
  const open = new Map<number, { -readonly [K in keyof GroupPeaks]: GroupPeaks[K] } & { now: number }>();
  const userOpen = new Map<number, Int32Array>();
  const counted = new Uint8Array(log.count);
  const usersOf = (g: number) => {
    let counts = userOpen.get(g);
    if (counts === undefined) {
      counts = new Int32Array(log.userCount);
      userOpen.set(g, counts);
    }
    return counts;
  };
  let e = 0;
  for (let s = 0; s < byStart.length; s++) {
    const order = byStart[s]!;
    for (; e < byEnd.length && log.endMs[byEnd[e]!]! <= log.startMs[order]!; e++) {
      const ended = byEnd[e]!;
      if (counted[ended] !== 1) continue;
      const g = log.group[ended]!;
      open.get(g)!.now--;
      const counts = usersOf(g);
      counts[log.a[ended]!]!--;
      if (log.b[ended] !== NO_USER) counts[log.b[ended]!]!--;
    }
    const g = log.group[order]!;
    let peaks = open.get(g);
    if (peaks === undefined) {
      peaks = { orders: 0, concurrent: 0, perUser: 0, unservable: 0, now: 0 };
      open.set(g, peaks);
    }
    peaks.orders++;
    const counts = usersOf(g);
    if (log.groups[g]!.mode === "AX" && counts[log.a[order]!]! >= maxXPerA) {
      peaks.unservable++;
      continue;
    }
    counted[order] = 1;
    peaks.now++;
    if (peaks.now > peaks.concurrent) peaks.concurrent = peaks.now;
    for (const u of [log.a[order]!, log.b[order]!]) {
      if (u === NO_USER) continue;
      const n = ++counts[u]!;
      if (n > peaks.perUser) peaks.perUser = n;
    }
  }
  return new Map([...open].map(([g, { now: _, ...peaks }]) => [g, peaks]));
}
