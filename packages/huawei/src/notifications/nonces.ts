/**
 * Nonces seen within the Created window. A nonce is kept until its push would be stale anyway
 * (`createdMs + windowMs`), so memory is bounded by the signed pushes of one window. Only pushes with a
 * valid signature reach `reserve`, so a stranger cannot fill it.
 */
export class NonceCache {
  readonly #expiresAtMs = new Map<string, number>();
  readonly #windowMs: number;
  #lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#expiresAtMs.size;
  }

  /** Records a nonce; false when it is already held (a replay). */
  reserve(nonce: string, createdMs: number, nowMs: number): boolean {
    this.#sweep(nowMs);
    const expiresAtMs = this.#expiresAtMs.get(nonce);
    if (expiresAtMs !== undefined && expiresAtMs >= nowMs) return false;
    this.#expiresAtMs.set(nonce, createdMs + this.#windowMs);
    return true;
  }

  /** Forgets a nonce, so the platform's retry of a push that failed may carry it again. */
  release(nonce: string): void {
    this.#expiresAtMs.delete(nonce);
  }

  // A full pass at most once per window (and whenever the clock jumps back): amortised O(1) per push.
  #sweep(nowMs: number): void {
    const sinceMs = nowMs - this.#lastSweepMs;
    if (sinceMs >= 0 && sinceMs < Math.max(this.#windowMs, 1000)) return;
    for (const [nonce, expiresAtMs] of this.#expiresAtMs) {
      if (expiresAtMs < nowMs) this.#expiresAtMs.delete(nonce);
    }
    this.#lastSweepMs = nowMs;
  }
}
