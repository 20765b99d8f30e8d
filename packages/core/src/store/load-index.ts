import type { Phone } from "../model/index.js";

/**
 * What a load index holds: an X number that keeps, per kind of index it sits in (the pool's, its
 * city's, its province's), its position in that index's bucket. Keeping the position on the number
 * makes add and remove two array writes: no lookup table per bucket, whose cache misses grew with the
 * pool (`pnpm bench memory`, time per order at 100 000 numbers against 100: 1.17–1.33 with a Map of
 * positions per bucket, 0.90–1.02 with the positions on the numbers).
 */
export interface Indexable {
  readonly x: Phone;
  /** Position in the current bucket of the index of each kind (see `IndexKind`); -1 when not in one. */
  readonly slots: number[];
}

/** The three indexes a number can sit in: the pool's, its city's, its province's. */
export const IndexKind = { pool: 0, city: 1, province: 2 } as const;
export type IndexKind = (typeof IndexKind)[keyof typeof IndexKind];

/**
 * X numbers that can take a bind, bucketed by load. Walking from the lowest (or highest) bucket yields
 * candidates in strategy order without looking at the rest of the pool: a pick costs the number of
 * candidates it skips (X the pair already holds, excluded X) plus empty buckets, never the pool size.
 * A bucket is an array without holes: removing moves the last item into the gap.
 */
export class LoadIndex<T extends Indexable> {
  private readonly buckets = new Map<number, T[]>();
  private min = 0;
  private max = -1;

  constructor(private readonly kind: IndexKind) {}

  add(item: T, load: number): void {
    let bucket = this.buckets.get(load);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(load, bucket);
    }
    item.slots[this.kind] = bucket.length;
    bucket.push(item);
    if (this.max < this.min) {
      this.min = load;
      this.max = load;
    } else {
      if (load < this.min) this.min = load;
      if (load > this.max) this.max = load;
    }
  }

  /** Takes `item` out of the bucket of `load` (where `add` put it). */
  remove(item: T, load: number): void {
    const bucket = this.buckets.get(load);
    const i = item.slots[this.kind]!;
    if (bucket === undefined || bucket[i] !== item) return;
    const last = bucket.pop()!;
    if (last !== item) {
      bucket[i] = last;
      last.slots[this.kind] = i;
    }
    item.slots[this.kind] = -1;
    if (bucket.length > 0) return;
    this.buckets.delete(load);
    if (this.buckets.size === 0) {
      this.min = 0;
      this.max = -1;
      return;
    }
    if (load === this.min) while (!this.buckets.has(this.min)) this.min++;
    if (load === this.max) while (!this.buckets.has(this.max)) this.max--;
  }

  /**
   * The first X, from the lowest load up (`ascending`) or the highest down, that `usable` accepts. Within a
   * load, newest first: a just-freed X is reused while its records are still in cache.
   */
  find(ascending: boolean, usable: (x: Phone) => boolean): T | undefined {
    const step = ascending ? 1 : -1;
    for (let load = ascending ? this.min : this.max; load >= this.min && load <= this.max; load += step) {
      const items = this.buckets.get(load);
      if (items === undefined) continue;
      for (let i = items.length - 1; i >= 0; i--) if (usable(items[i]!.x)) return items[i];
    }
    return undefined;
  }
}
