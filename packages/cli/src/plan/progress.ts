/** A one-line progress bar on a terminal: redrawn at most ten times a second, cleared at the end. */
export interface ProgressSink {
  readonly isTTY?: boolean | undefined;
  write(text: string): unknown;
}

const WIDTH = 24;
const EVERY_MS = 100;

export class ProgressBar {
  private lastMs = 0;
  private shown = false;

  constructor(private readonly sink: ProgressSink) {}

  /** Whether a bar is drawn at all: only on a terminal (a log file or a pipe gets none). */
  get active(): boolean {
    return this.sink.isTTY === true;
  }

  update(phase: string, done: number, total: number): void {
    if (!this.active) return;
    const now = Date.now();
    if (now - this.lastMs < EVERY_MS && done < total) return;
    this.lastMs = now;
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(fraction * WIDTH);
    const bar = `${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}`;
    const percent = `${Math.floor(fraction * 100)}`.padStart(3);
    const text = phase.length > 48 ? `${phase.slice(0, 45)}...` : phase;
    this.sink.write(`\r\x1b[2Kplan [${bar}] ${percent}%  ${text}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.sink.write("\r\x1b[2K");
    this.shown = false;
  }
}
