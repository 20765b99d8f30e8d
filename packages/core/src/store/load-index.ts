import type { Phone } from "../model/index.js";

/**
 * X numbers that can take a bind, bucketed by load. Walking from the lowest (or highest) bucket yields
 * candidates in strategy order without looking at the rest of the pool: a pick costs the number of
 * candidates it skips (X the pair already holds, excluded X) plus empty buckets, never the pool size.
 */
export class LoadIndex {
  private readonly buckets = new Map<number, Set<Phone>>();
  private min = 0;
  private max = -1;

  add(x: Phone, load: number): void {
    let bucket = this.buckets.get(load);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(load, bucket);
    }
    bucket.add(x);
    if (this.max < this.min) {
      this.min = load;
      this.max = load;
    } else {
      if (load < this.min) this.min = load;
      if (load > this.max) this.max = load;
    }
  }

  remove(x: Phone, load: number): void {
    const bucket = this.buckets.get(load);
    if (bucket === undefined || !bucket.delete(x) || bucket.size > 0) return;
    this.buckets.delete(load);
    if (this.buckets.size === 0) {
      this.min = 0;
      this.max = -1;
      return;
    }
    if (load === this.min) while (!this.buckets.has(this.min)) this.min++;
    if (load === this.max) while (!this.buckets.has(this.max)) this.max--;
  }

  /** Candidates from the lowest load up (`ascending`) or from the highest down. */
  *walk(ascending: boolean): Generator<Phone> {
    if (ascending) {
      for (let load = this.min; load <= this.max; load++) yield* this.bucket(load);
    } else {
      for (let load = this.max; load >= this.min; load--) yield* this.bucket(load);
    }
  }

  private bucket(load: number): Iterable<Phone> {
    // A copy is not needed: callers stop walking before they change the index.
    return this.buckets.get(load) ?? [];
  }
}
