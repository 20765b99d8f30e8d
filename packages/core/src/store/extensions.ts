/**
 * AXE: the extensions of one X that entries hold, and the pick of a free one. The lowest free extension
 * is taken, so an X's extensions stay short and dense; `low` marks where the search starts (no
 * extension below it is free), so a pick costs O(1) amortised.
 */
export class Extensions {
  private readonly used = new Set<number>();
  private low = 1;

  /** Takes `wanted` (false when an entry holds it), or the lowest free extension when absent. */
  take(wanted?: number): number | false {
    if (wanted !== undefined) {
      if (this.used.has(wanted)) return false;
      this.used.add(wanted);
      return wanted;
    }
    while (this.used.has(this.low)) this.low++;
    this.used.add(this.low);
    return this.low;
  }

  free(n: number): void {
    if (this.used.delete(n) && n < this.low) this.low = n;
  }

  has(n: number): boolean {
    return this.used.has(n);
  }
}

/** The extension as callers dial it: zero-padded to X's extension length (`42`, 4 digits: `0042`). */
export function formatExtension(n: number, digits: number): string {
  return String(n).padStart(digits, "0");
}

/** The number of an extension string (`0042`: 42), or undefined when it is not 1-4 digits above 0. */
export function parseExtension(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,4}$/.test(s)) return undefined;
  const n = Number(s);
  return n > 0 ? n : undefined;
}
