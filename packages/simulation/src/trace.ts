/**
 * What happened in a run, line by line on virtual time: the last lines are kept for a failure report,
 * every line goes into a hash (two runs of one seed must give the same hash), and a verbose run prints
 * them all.
 */
export class Trace {
  private readonly tail: string[] = [];
  private hashValue = 0x811c9dc5;
  count = 0;

  constructor(
    private readonly keep: number,
    private readonly startMs: number,
    private readonly print?: (line: string) => void,
  ) {}

  add(nowMs: number, text: string): void {
    const line = `${((nowMs - this.startMs) / 1000).toFixed(3).padStart(8)}s ${text}`;
    this.count++;
    for (let i = 0; i < line.length; i++) {
      this.hashValue = Math.imul(this.hashValue ^ line.charCodeAt(i), 0x01000193) >>> 0;
    }
    this.tail.push(line);
    if (this.tail.length > this.keep) this.tail.shift();
    this.print?.(line);
  }

  /** FNV-1a over every line so far. */
  get hash(): string {
    return this.hashValue.toString(16).padStart(8, "0");
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}
