/** Faults the simulator injects into answered requests. All rates are probabilities in 0..1. */
export interface FaultOptions {
  /** Extra delay before each answer, in milliseconds: fixed, or uniform in [min, max]. */
  latencyMs?: number | readonly [number, number];
  /** Share of requests that are held without an answer for `hangMs` (forever when `hangMs` is unset). */
  timeoutRate?: number;
  /** How long a timed-out request is held before it is answered after all, in milliseconds. */
  hangMs?: number;
  /** Whether a timed-out request still takes effect (default true: the client cannot know). */
  timeoutTakesEffect?: boolean;
  /** Share of requests answered HTTP 500 with `1010001`, without taking effect. */
  serverErrorRate?: number;
  /** Share of requests answered with flow control `1010010`, without taking effect. */
  flowControlRate?: number;
  /** Seed of the fault dice, for repeatable runs. */
  seed?: number;
}

export type FaultDecision = "none" | "serverError" | "flowControl" | "timeout";

/** mulberry32: tiny deterministic PRNG so a seed reproduces a fault sequence. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRate(name: string, value: number | undefined): void {
  if (value !== undefined && !(value >= 0 && value <= 1)) {
    throw new RangeError(`faults.${name} must be within 0..1, got ${value}`);
  }
}

/** Holds the current fault settings and rolls the dice per request. */
export class FaultController {
  private options: FaultOptions = {};
  private random: () => number = Math.random;

  constructor(initial: FaultOptions = {}) {
    this.set(initial);
  }

  /** Merges new settings into the current ones; a `seed` restarts the dice. */
  set(partial: FaultOptions): void {
    checkRate("timeoutRate", partial.timeoutRate);
    checkRate("serverErrorRate", partial.serverErrorRate);
    checkRate("flowControlRate", partial.flowControlRate);
    const latency = partial.latencyMs;
    if (latency !== undefined) {
      const [min, max] = typeof latency === "number" ? [latency, latency] : latency;
      if (!(min >= 0 && max >= min)) throw new RangeError(`faults.latencyMs is invalid: ${String(latency)}`);
    }
    this.options = { ...this.options, ...partial };
    if (partial.seed !== undefined) this.random = mulberry32(partial.seed);
  }

  /** Clears every fault. */
  reset(): void {
    this.options = {};
    this.random = Math.random;
  }

  /** Current settings (a copy). */
  get current(): FaultOptions {
    return { ...this.options };
  }

  /** Delay to add before answering, in milliseconds. */
  latencyMs(): number {
    const latency = this.options.latencyMs;
    if (latency === undefined) return 0;
    if (typeof latency === "number") return latency;
    const [min, max] = latency;
    return min + this.random() * (max - min);
  }

  /** Which fault (if any) hits this request. */
  decide(): FaultDecision {
    const o = this.options;
    if (o.serverErrorRate && this.random() < o.serverErrorRate) return "serverError";
    if (o.flowControlRate && this.random() < o.flowControlRate) return "flowControl";
    if (o.timeoutRate && this.random() < o.timeoutRate) return "timeout";
    return "none";
  }

  /** Hold time of a timed-out request in milliseconds; undefined = never answer. */
  get hangMs(): number | undefined {
    return this.options.hangMs;
  }

  get timeoutTakesEffect(): boolean {
    return this.options.timeoutTakesEffect ?? true;
  }
}
