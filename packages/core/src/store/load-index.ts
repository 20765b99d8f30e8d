import type { Phone } from "../model/index.js";

/**
 * X numbers that can take a bind, bucketed by load. Walking from the lowest (or highest) bucket yields
 * candidates in strategy order without looking at the rest of the pool: a pick costs the number of
 * candidates it skips (X the pair already holds, excluded X) plus empty buckets, never the pool size.
 */
export class LoadIndex {
  private readonly buckets = new Map<number, Bucket>();
  private min = 0;
  private max = -1;

  add(x: Phone, load: number): void {
    let bucket = this.buckets.get(load);
    if (bucket === undefined) {
      bucket = new Bucket();
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

  /**
   * The first X, from the lowest load up (`ascending`) or the highest down, that `usable` accepts. Within a
   * load, newest first: a just-freed X is reused while its records are still in cache.
   */
  find(ascending: boolean, usable: (x: Phone) => boolean): Phone | undefined {
    const step = ascending ? 1 : -1;
    for (let load = ascending ? this.min : this.max; load >= this.min && load <= this.max; load += step) {
      const items = this.buckets.get(load)?.items;
      if (items === undefined) continue;
      for (let i = items.length - 1; i >= 0; i--) if (usable(items[i]!)) return items[i];
    }
    return undefined;
  }
}

/**
 * A set with O(1) add and delete that never leaves holes: delete moves the last item into the gap. (A JS
 * `Set` keeps deleted slots until it rehashes, so walking one that churns at its front slows with its size.)
 */
class Bucket {
  readonly items: Phone[] = [];
  private readonly at = new Map<Phone, number>();

  get size(): number {
    return this.items.length;
  }

  add(x: Phone): void {
    if (this.at.has(x)) return;
    this.at.set(x, this.items.length);
    this.items.push(x);
  }

  delete(x: Phone): boolean {
    const i = this.at.get(x);
    if (i === undefined) return false;
    const last = this.items.pop()!;
    if (last !== x) {
      this.items[i] = last;
      this.at.set(last, i);
    }
    this.at.delete(x);
    return true;
  }
}
