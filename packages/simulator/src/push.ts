import { signPushHeaders } from "./auth.js";

/** Where and how the simulator pushes notifications (§11). */
export interface PushOptions {
  /** Default receiver of every push (the console's "呼叫状态接收地址"). */
  readonly url: string;
  /** Receiver of call events (callin ... disconnect); default `url`. */
  readonly callEventsUrl?: string;
  /** Receiver of CDR (fee) lists; default `url`. */
  readonly feeUrl?: string;
  /** Receiver of X number status pushes; default `url`. */
  readonly statusUrl?: string;
  /**
   * Delay before each retry after a failed attempt (non-200 or network error), in ms; its length is the
   * number of retries (at most 6).
   * @default [60_000, 240_000, 540_000, 6_360_000, 12_180_000, 18_000_000] (1, 4, 9, 106, 203, 300 min)
   */
  readonly retryScheduleMs?: readonly number[];
  /**
   * Factor applied to every retry delay, e.g. `0.001` in tests.
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * Time one attempt may take before it counts as failed, in ms.
   * @default 10_000
   */
  readonly timeoutMs?: number;
}

/** Push delivery counters. */
export interface PushStats {
  /** Pushes answered HTTP 200. */
  readonly delivered: number;
  /** Attempts that got a non-200 answer, a network error or no answer in time. */
  readonly failedAttempts: number;
  /** Pushes not yet delivered that will be tried again (or are being tried). */
  readonly pending: number;
  /** Pushes dropped after the last retry failed. */
  readonly gaveUp: number;
}

export type PushKind = "call" | "fee" | "numStatus";

/** §11: retries at 1, 4, 9, 106, 203 and 300 minutes. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  60_000, 240_000, 540_000, 6_360_000, 12_180_000, 18_000_000,
];
const MAX_RETRIES = 6;
const DEFAULT_TIMEOUT_MS = 10_000;

interface Delivery {
  readonly url: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly body: string;
  retries: number;
}

/** Sends signed pushes and retries them on the platform's schedule. */
export class Pusher {
  readonly #options: PushOptions;
  readonly #scheduleMs: readonly number[];
  readonly #timeScale: number;
  readonly #timeoutMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  readonly #idleWaiters: (() => void)[] = [];
  #delivered = 0;
  #failedAttempts = 0;
  #pending = 0;
  #gaveUp = 0;
  #closed = false;

  constructor(
    options: PushOptions,
    private readonly wallClockMs: () => number = Date.now,
  ) {
    this.#options = options;
    this.#scheduleMs = options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
    this.#timeScale = options.timeScale ?? 1;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    for (const url of [options.url, options.callEventsUrl, options.feeUrl, options.statusUrl]) {
      if (url !== undefined && !URL.canParse(url)) throw new RangeError(`push URL "${url}" is not a URL`);
    }
    if (
      this.#scheduleMs.length > MAX_RETRIES ||
      !this.#scheduleMs.every((ms) => Number.isFinite(ms) && ms >= 0)
    ) {
      throw new RangeError(
        `push.retryScheduleMs must hold at most ${MAX_RETRIES} delays >= 0 ms, got [${this.#scheduleMs.join(", ")}]`,
      );
    }
    if (!(Number.isFinite(this.#timeScale) && this.#timeScale >= 0)) {
      throw new RangeError(`push.timeScale must be a number >= 0, got ${this.#timeScale}`);
    }
    if (!(this.#timeoutMs > 0)) throw new RangeError(`push.timeoutMs must be > 0, got ${this.#timeoutMs}`);
  }

  /** Sends one push; resolves after its first attempt (retries go on in the background). */
  send(kind: PushKind, app: { appKey: string; appSecret: string }, body: object): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#pending++;
    return this.#attempt({
      url: this.#urlFor(kind),
      appKey: app.appKey,
      appSecret: app.appSecret,
      body: JSON.stringify(body),
      retries: 0,
    });
  }

  stats(): PushStats {
    return {
      delivered: this.#delivered,
      failedAttempts: this.#failedAttempts,
      pending: this.#pending,
      gaveUp: this.#gaveUp,
    };
  }

  /** Resolves once no push is pending (delivered or given up), or on close. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Cancels pending retries and attempts in flight. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#abort.abort();
    this.#pending = 0;
    this.#wakeIdle();
  }

  #urlFor(kind: PushKind): string {
    const o = this.#options;
    if (kind === "call") return o.callEventsUrl ?? o.url;
    if (kind === "fee") return o.feeUrl ?? o.url;
    return o.statusUrl ?? o.url;
  }

  async #attempt(d: Delivery): Promise<void> {
    const ok = await this.#post(d);
    if (this.#closed) return;
    if (ok) {
      this.#delivered++;
      return this.#settle();
    }
    this.#failedAttempts++;
    const delayMs = this.#scheduleMs[d.retries];
    if (delayMs === undefined) {
      this.#gaveUp++;
      return this.#settle();
    }
    d.retries++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#attempt(d);
    }, delayMs * this.#timeScale);
    this.#timers.add(timer);
  }

  /** One attempt with a fresh nonce and Created; true only for HTTP 200 (§11). */
  async #post(d: Delivery): Promise<boolean> {
    try {
      const res = await fetch(d.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json;charset=UTF-8",
          ...signPushHeaders(d.appKey, d.appSecret, this.wallClockMs()),
        },
        body: d.body,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  #settle(): void {
    this.#pending--;
    if (this.#pending === 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}
