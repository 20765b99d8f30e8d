import type { Scheduler } from "@bindpool/core";
import type { Random } from "./random.js";
import type { Trace } from "./trace.js";

/** Who an event belongs to: an instance's events stop when it is killed and wait while it is paused. */
export type Owner = string | undefined;

interface SimEvent {
  at: number;
  seq: number;
  owner: Owner;
  run: () => void;
}

/**
 * Virtual time and one queue of events ordered by (time, insertion order). `step` runs the next event
 * and then lets every promise job it started finish before the next one, so what runs when depends on
 * the seed alone. Nothing here reads real time; `setImmediate` is only the "all promise jobs done" signal.
 */
export class SimScheduler {
  nowMs: number;
  steps = 0;
  private seq = 0;
  private readonly heap: SimEvent[] = [];
  private readonly killed = new Set<string>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    startMs: number,
    readonly random: Random,
    readonly trace: Trace,
  ) {
    this.nowMs = startMs;
  }

  readonly clock = (): number => this.nowMs;

  /** Runs `run` `delayMs` from now as `owner`'s event. */
  at(delayMs: number, run: () => void, owner?: Owner): void {
    this.push({ at: this.nowMs + Math.max(0, Math.round(delayMs)), seq: this.seq++, owner, run });
  }

  sleep(ms: number, owner?: Owner): Promise<void> {
    return new Promise((resolve) => this.at(ms, resolve, owner));
  }

  /** The allocator's view: its waits are its own events (they never end once it is killed). */
  forOwner(owner: Owner): Scheduler {
    return { sleep: (ms) => this.sleep(ms, owner), random: () => this.random.next() };
  }

  log(text: string): void {
    this.trace.add(this.nowMs, text);
  }

  /** The owner's pending and future events never run. */
  kill(owner: string): void {
    this.killed.add(owner);
  }

  isKilled(owner: Owner): boolean {
    return owner !== undefined && this.killed.has(owner);
  }

  /** The owner's events due before `untilMs` wait until then (a GC pause, a blocked event loop). */
  pause(owner: string, untilMs: number): void {
    this.pausedUntil.set(owner, Math.max(untilMs, this.pausedUntil.get(owner) ?? 0));
  }

  unpauseAll(): void {
    this.pausedUntil.clear();
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event and every promise job after it; false when nothing is left. */
  async step(): Promise<boolean> {
    for (;;) {
      const event = this.pop();
      if (event === undefined) return false;
      if (event.owner !== undefined) {
        if (this.killed.has(event.owner)) continue;
        const until = this.pausedUntil.get(event.owner);
        if (until !== undefined && until > event.at) {
          this.push({ ...event, at: until, seq: this.seq++ });
          continue;
        }
      }
      this.nowMs = Math.max(this.nowMs, event.at);
      this.steps++;
      event.run();
      await new Promise<void>((resolve) => setImmediate(resolve));
      return true;
    }
  }

  private push(event: SimEvent): void {
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
