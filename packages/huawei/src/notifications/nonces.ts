/**
 * Where the notification handler remembers the nonces of accepted pushes, so that a push replayed
 * within the `Created` window is refused. The default, {@link MemoryNonceStore}, is per process: behind a
 * load balancer, give every instance one shared store (`RedisNonceStore` from `@bindpool/redis`), or a
 * push replayed to another instance is accepted there.
 *
 * A store either answers or rejects: the handler refuses a push whose nonce it could not record
 * (`BINDPOOL_NOTIFY_NONCE_STORE_FAILED`, 503, the platform retries), it never lets one through unchecked.
 */
export interface NonceStore {
  /**
   * Records `nonce` until `expiresAtMs` (the push's `Created` + the window, ms since the epoch; `nowMs` is
   * the handler's clock). Resolves `true` when the nonce was not held (first time), `false` when it is (a
   * replay). Must be atomic across every handler sharing the store. Rejects when it cannot tell.
   */
  remember(nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
  /**
   * Holds `nonce` until `expiresAtMs` whether or not it is held now (the handler first remembers a nonce
   * for a short while, then holds it for the rest of the window once the push is handled).
   */
  hold(nonce: string, expiresAtMs: number, nowMs: number): Promise<void>;
  /** Forgets a nonce, so the platform's retry of a push that `onEvent` failed may carry it again. */
  forget(nonce: string): Promise<void>;
}

const MAX_SWEEP_EVERY_MS = 3_600_000;

/**
 * Nonces seen within the Created window, in this process. A nonce is kept until its push would be stale
 * anyway (`expiresAtMs`), so memory is bounded by the signed pushes of one window. Only pushes with a
 * valid signature reach `remember`, so a stranger cannot fill it.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #expiresAtMs = new Map<string, number>();
  #lastSweepMs = Number.NEGATIVE_INFINITY;
  #sweepEveryMs = 1000;

  /** Nonces held (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#expiresAtMs.size;
  }

  async remember(nonce: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    // Sweep about once per the longest hold seen (the window), at most once a second.
    this.#sweepEveryMs = Math.max(this.#sweepEveryMs, Math.min(expiresAtMs - nowMs, MAX_SWEEP_EVERY_MS));
    this.#sweep(nowMs);
    const heldUntilMs = this.#expiresAtMs.get(nonce);
    if (heldUntilMs !== undefined && heldUntilMs >= nowMs) return false;
    this.#expiresAtMs.set(nonce, expiresAtMs);
    return true;
  }

  async hold(nonce: string, expiresAtMs: number, nowMs: number): Promise<void> {
    this.#sweep(nowMs);
    this.#expiresAtMs.set(nonce, expiresAtMs);
  }

  async forget(nonce: string): Promise<void> {
    this.#expiresAtMs.delete(nonce);
  }

  // A full pass at most once per window (and whenever the clock jumps back): amortised O(1) per push.
  #sweep(nowMs: number): void {
    const sinceMs = nowMs - this.#lastSweepMs;
    if (sinceMs >= 0 && sinceMs < this.#sweepEveryMs) return;
    for (const [nonce, expiresAtMs] of this.#expiresAtMs) {
      if (expiresAtMs < nowMs) this.#expiresAtMs.delete(nonce);
    }
    this.#lastSweepMs = nowMs;
  }
}
