import { type JobLeader, type LockLease, type OrderLock, OrderPendingError } from "@bindpool/core";
import type { Owner, SimScheduler } from "./scheduler.js";

interface Hold {
  readonly token: number;
  expiresAtMs: number;
}

export interface LockOptions {
  /** Tries to take a busy order lock before giving up. @default 20 */
  readonly retryCount?: number;
  /** Pause between tries, ms (plus up to half of it as jitter). @default 50 */
  readonly retryDelayMs?: number;
}

/**
 * The cross-instance lock on virtual time, as a Redis lock behaves: a hold lasts `ttlMs` and is extended
 * every third of it while `fn` runs. A killed instance stops extending, so its holds free after the TTL;
 * an instance paused past its TTL (or whose extension fails, `extendFailure`) has lost the hold: its
 * signal aborts, and another instance may take the lock meanwhile.
 */
export class SimLock {
  /** Chance that one extension fails (the lock store did not answer in time). */
  extendFailure = 0;
  private readonly holds = new Map<string, Hold>();
  private nextToken = 1;

  constructor(
    private readonly sched: SimScheduler,
    private readonly options: LockOptions = {},
  ) {}

  /** The lock and job election one instance uses. */
  forOwner(owner: string): OrderLock & JobLeader {
    return {
      using: (key, ttlMs, fn) => this.using(owner, key, ttlMs, fn),
      elect: async (job, ttlMs, fn) => {
        const token = this.tryTake(`job:${job}`, ttlMs);
        if (token === undefined) return { leader: false };
        return { leader: true, result: await this.holding(owner, `job:${job}`, token, ttlMs, fn) };
      },
    };
  }

  /** Whether anyone holds `key` now. */
  isHeld(key: string): boolean {
    const h = this.holds.get(key);
    return h !== undefined && h.expiresAtMs > this.sched.nowMs;
  }

  private async using<T>(
    owner: Owner,
    key: string,
    ttlMs: number,
    fn: (signal?: AbortSignal, lease?: LockLease) => Promise<T>,
  ): Promise<T> {
    const retryCount = this.options.retryCount ?? 20;
    const delay = this.options.retryDelayMs ?? 50;
    const started = this.sched.nowMs;
    for (let i = 0; ; i++) {
      const token = this.tryTake(key, ttlMs);
      if (token !== undefined) return this.holding(owner, key, token, ttlMs, fn);
      if (i >= retryCount) {
        const retryAfterMs = Math.max(1, (this.holds.get(key)?.expiresAtMs ?? 0) - this.sched.nowMs);
        throw new OrderPendingError(key, this.sched.nowMs - started, retryAfterMs);
      }
      await this.sched.sleep(delay + this.sched.random.int(delay / 2 + 1), owner);
    }
  }

  private tryTake(key: string, ttlMs: number): number | undefined {
    if (this.isHeld(key)) return undefined;
    const token = this.nextToken++;
    this.holds.set(key, { token, expiresAtMs: this.sched.nowMs + ttlMs });
    return token;
  }

  private async holding<T>(
    owner: Owner,
    key: string,
    token: number,
    ttlMs: number,
    fn: (signal?: AbortSignal, lease?: LockLease) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    let running = true;
    const extend = () => {
      if (!running) return;
      const h = this.holds.get(key);
      const mine = h?.token === token && h.expiresAtMs > this.sched.nowMs;
      if (!mine || this.sched.random.chance(this.extendFailure)) {
        this.sched.log(`${owner ?? "-"} lost lock ${key}`);
        controller.abort();
        return;
      }
      h.expiresAtMs = this.sched.nowMs + ttlMs;
      this.sched.at(ttlMs / 3, extend, owner);
    };
    this.sched.at(ttlMs / 3, extend, owner);
    // The hold as the holder may trust it, by the lock's clock: false once it ran out, even before an
    // extension notices (a paused instance resumes with an expired hold).
    const lease = {
      held: () => {
        const h = this.holds.get(key);
        return h?.token === token && h.expiresAtMs > this.sched.nowMs;
      },
    };
    try {
      return await fn(controller.signal, lease);
    } finally {
      running = false;
      if (this.holds.get(key)?.token === token) this.holds.delete(key);
    }
  }
}
