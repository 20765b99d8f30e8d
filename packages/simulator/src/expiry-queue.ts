/** A min-heap of (expiresAtMs, id) so expiry costs O(log n) per binding and nothing when nothing is due. */
export class ExpiryQueue {
  private readonly times: number[] = [];
  private readonly ids: string[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Adds an entry; stale entries (binding gone or re-timed) are skipped by the consumer. */
  push(expiresAtMs: number, id: string): void {
    this.times.push(expiresAtMs);
    this.ids.push(id);
    let i = this.times.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= this.times[i]!) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns every entry due at or before nowMs, earliest first. */
  popDue(nowMs: number): Array<{ expiresAtMs: number; id: string }> {
    const due: Array<{ expiresAtMs: number; id: string }> = [];
    while (this.times.length > 0 && this.times[0]! <= nowMs) {
      due.push({ expiresAtMs: this.times[0]!, id: this.ids[0]! });
      this.popTop();
    }
    return due;
  }

  private popTop(): void {
    const lastTime = this.times.pop()!;
    const lastId = this.ids.pop()!;
    if (this.times.length === 0) return;
    this.times[0] = lastTime;
    this.ids[0] = lastId;
    let i = 0;
    const n = this.times.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < n && this.times[l]! < this.times[min]!) min = l;
      if (r < n && this.times[r]! < this.times[min]!) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(i: number, j: number): void {
    const t = this.times[i]!;
    this.times[i] = this.times[j]!;
    this.times[j] = t;
    const id = this.ids[i]!;
    this.ids[i] = this.ids[j]!;
    this.ids[j] = id;
  }
}
