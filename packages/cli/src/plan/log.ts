/**
 * The order log `bindpool plan` reads: CSV with a header row, or JSON Lines; one order per line with its
 * start, end, city, A, B and mode. Parsed into columns (typed arrays, users and cities as small integers)
 * so a million orders stay a few tens of MB and replay without string work.
 */
import { UsageError } from "../config.js";

export const PLAN_MODES = ["AXB", "AX", "AXE"] as const;
export type PlanMode = (typeof PLAN_MODES)[number];

/** Orders of one mode in one city: what one strict plan answers for. */
export interface PlanGroup {
  readonly mode: PlanMode;
  readonly city: string;
}

/** The log, by column; order `i` is the i-th data line. */
export interface OrderLog {
  readonly count: number;
  readonly startMs: Float64Array;
  readonly endMs: Float64Array;
  /** Index into `groups`. */
  readonly group: Uint32Array;
  /** Index into `users`. */
  readonly a: Uint32Array;
  /** Index into `users`; `NO_USER` in AX and AXE (B is not bound there). */
  readonly b: Uint32Array;
  readonly groups: readonly PlanGroup[];
  /** Distinct user labels as the log wrote them (A and B share the space: one person is one user). */
  readonly userCount: number;
}

export const NO_USER = 0xffffffff;

export type LogFormat = "csv" | "jsonl";

/** The platform's longest binding, 90 days: an order may last no longer. */
const MAX_ORDER_MS = 7_776_000_000;

/** Most problems listed before parsing stops. */
const MAX_PROBLEMS = 10;

const FIELDS = ["start", "end", "city", "a", "b", "mode"] as const;
type Field = (typeof FIELDS)[number];

/** ISO 8601 with a zone (`Z` or `+08:00`): a time without one would depend on this machine's zone. */
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** Builds the columns line by line and remembers the problems, with their line numbers. */
class LogBuilder {
  private capacity = 1024;
  count = 0;
  startMs = new Float64Array(this.capacity);
  endMs = new Float64Array(this.capacity);
  group = new Uint32Array(this.capacity);
  a = new Uint32Array(this.capacity);
  b = new Uint32Array(this.capacity);
  readonly groups: PlanGroup[] = [];
  private readonly groupIds = new Map<string, number>();
  private readonly userIds = new Map<string, number>();
  readonly problems: string[] = [];

  constructor(
    private readonly name: string,
    private readonly defaultMode: PlanMode | undefined,
  ) {}

  problem(line: number, message: string): void {
    this.problems.push(`${this.name} line ${line}: ${message}`);
  }

  get full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  /** One order from its fields (strings from CSV, strings or numbers from JSON). */
  add(line: number, get: (field: Field) => unknown): void {
    const start = this.time(line, "start", get("start"));
    const end = this.time(line, "end", get("end"));
    const city = this.text(line, "city", get("city"), true);
    const a = this.text(line, "a", get("a"), true);
    const rawMode = get("mode");
    const modeText =
      rawMode === undefined || rawMode === "" ? this.defaultMode : String(rawMode).toUpperCase();
    const mode = PLAN_MODES.find((m) => m === modeText);
    if (mode === undefined) {
      this.problem(
        line,
        rawMode === undefined || rawMode === ""
          ? "no mode (add a mode column or pass --mode)"
          : `mode takes AXB, AX or AXE, got ${JSON.stringify(rawMode)}`,
      );
      return;
    }
    const b = this.text(line, "b", get("b"), mode === "AXB");
    if (start === undefined || end === undefined || city === undefined || a === undefined) return;
    if (mode === "AXB" && b === undefined) return;
    if (end <= start) {
      this.problem(line, "end is not after start");
      return;
    }
    if (end - start > MAX_ORDER_MS) {
      this.problem(line, "the order lasts more than 90 days (the platform's longest binding)");
      return;
    }
    if (mode === "AXB" && a === b) {
      this.problem(line, "a and b are the same user (AXB binds two different numbers)");
      return;
    }
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.startMs[i] = start;
    this.endMs[i] = end;
    this.group[i] = this.groupOf(mode, city);
    this.a[i] = this.userOf(a);
    // B is bound in AXB only; AX and AXE bind A alone, so a B column there is ignored.
    this.b[i] = mode === "AXB" ? this.userOf(b!) : NO_USER;
  }

  build(): OrderLog {
    const n = this.count;
    return {
      count: n,
      startMs: this.startMs.slice(0, n),
      endMs: this.endMs.slice(0, n),
      group: this.group.slice(0, n),
      a: this.a.slice(0, n),
      b: this.b.slice(0, n),
      groups: this.groups,
      userCount: this.userIds.size,
    };
  }

  private time(line: number, field: Field, value: unknown): number | undefined {
    let ms: number | undefined;
    if (typeof value === "number") ms = value;
    else if (typeof value === "string" && /^\d+$/.test(value)) ms = Number(value);
    else if (typeof value === "string" && ISO.test(value)) ms = Date.parse(value);
    if (ms !== undefined && Number.isSafeInteger(ms) && ms >= 0) return ms;
    this.problem(
      line,
      value === undefined || value === ""
        ? `no ${field} time`
        : `${field} must be an ISO 8601 time with a zone (2026-03-01T12:00:00Z) or epoch milliseconds, got ${JSON.stringify(value)}`,
    );
    return undefined;
  }

  private text(line: number, field: Field, value: unknown, required: boolean): string | undefined {
    if (typeof value === "number") return String(value);
    if (typeof value === "string" && value !== "") return value;
    if (value === undefined || value === "" || value === null) {
      if (required) this.problem(line, `no ${field}`);
      return undefined;
    }
    this.problem(line, `${field} must be a string, got ${JSON.stringify(value)}`);
    return undefined;
  }

  private groupOf(mode: PlanMode, city: string): number {
    const key = `${mode}\u0000${city}`;
    let id = this.groupIds.get(key);
    if (id === undefined) {
      id = this.groups.length;
      this.groups.push({ mode, city });
      this.groupIds.set(key, id);
    }
    return id;
  }

  private userOf(label: string): number {
    let id = this.userIds.get(label);
    if (id === undefined) {
      id = this.userIds.size;
      this.userIds.set(label, id);
    }
    return id;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = <T extends Float64Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(this.capacity);
      next.set(old);
      return next;
    };
    this.startMs = grown(this.startMs, (n) => new Float64Array(n));
    this.endMs = grown(this.endMs, (n) => new Float64Array(n));
    this.group = grown(this.group, (n) => new Uint32Array(n));
    this.a = grown(this.a, (n) => new Uint32Array(n));
    this.b = grown(this.b, (n) => new Uint32Array(n));
  }
}

/** The format of a log: by its file name, else by its first character (`{`: JSON Lines). */
export function detectFormat(name: string, text: string): LogFormat {
  if (/\.(jsonl|ndjson)$/i.test(name)) return "jsonl";
  if (/\.csv$/i.test(name)) return "csv";
  return text.trimStart().startsWith("{") ? "jsonl" : "csv";
}

/**
 * Parses a log; throws `UsageError` listing the first problems with their line numbers (1-based, the
 * CSV header is line 1). `name` is the file name for messages.
 */
export function parseLog(
  text: string,
  options: { name: string; format: LogFormat; defaultMode?: PlanMode | undefined },
): OrderLog {
  const builder = new LogBuilder(options.name, options.defaultMode);
  if (options.format === "csv") parseCsv(text, builder);
  else parseJsonl(text, builder);
  if (builder.problems.length > 0) {
    const more = builder.full ? "\n(stopped after the first problems)" : "";
    throw new UsageError(`The order log has problems:\n  ${builder.problems.join("\n  ")}${more}`);
  }
  if (builder.count === 0) throw new UsageError(`The order log ${options.name} has no orders.`);
  return builder.build();
}

/** Calls `each(line, lineNumber)` for every line that is not blank, without splitting the text. */
function eachLine(text: string, each: (line: string, lineNumber: number) => boolean): void {
  let at = 0;
  for (let n = 1; at < text.length; n++) {
    let endAt = text.indexOf("\n", at);
    if (endAt === -1) endAt = text.length;
    const line = text.slice(at, endAt > at && text.charCodeAt(endAt - 1) === 13 ? endAt - 1 : endAt);
    at = endAt + 1;
    if (line.trim() === "") continue;
    if (!each(line, n)) return;
  }
}

/** A CSV field: trimmed, surrounding double quotes removed (fields hold no commas). */
const unquote = (s: string) => {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
};

function parseCsv(text: string, builder: LogBuilder): void {
  let columns: Partial<Record<Field, number>> | undefined;
  eachLine(text, (line, n) => {
    const cells = line.split(",").map(unquote);
    if (columns === undefined) {
      columns = {};
      cells.forEach((name, i) => {
        const field = FIELDS.find((f) => f === name.toLowerCase());
        if (field !== undefined) columns![field] = i;
      });
      const missing = FIELDS.filter((f) => f !== "b" && f !== "mode" && columns![f] === undefined);
      if (missing.length > 0) {
        builder.problem(
          n,
          `the header row must name the columns start, end, city, a, b, mode (missing ${missing.join(", ")}; got ${JSON.stringify(line.slice(0, 80))})`,
        );
        return false;
      }
      return true;
    }
    const at = columns;
    builder.add(n, (field) => {
      const i = at[field];
      return i === undefined ? undefined : cells[i];
    });
    return !builder.full;
  });
}

function parseJsonl(text: string, builder: LogBuilder): void {
  eachLine(text, (line, n) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      builder.problem(n, `not JSON (${(error as Error).message})`);
      return !builder.full;
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      builder.problem(n, "each line must be a JSON object with start, end, city, a, b, mode");
      return !builder.full;
    }
    const fields = row as Record<string, unknown>;
    builder.add(n, (field) => fields[field] ?? undefined);
    return !builder.full;
  });
}
