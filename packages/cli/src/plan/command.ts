/**
 * `bindpool plan`: how many X numbers to rent, per city, for an order log. Needs no Redis, no config
 * and no platform: the log is replayed in this process (see docs/sizing.md).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { UsageError } from "../config.js";
import { generateLog } from "./generate.js";
import { detectFormat, PLAN_MODES, parseLog } from "./log.js";
import { ProgressBar, type ProgressSink } from "./progress.js";
import { type Plan, plan } from "./search.js";

export const PLAN_HELP = `bindpool plan: how many X numbers to rent, per city, for an order log

Usage: bindpool plan LOG [options]          (LOG: a .csv or .jsonl file, or - for stdin)
       bindpool plan --generate N [options] > log.csv

  LOG: one order per line with start, end, city, a, b, mode. CSV has a header row naming
  those columns (in any order; b may be empty in AX and AXE, mode may be left out with --mode);
  JSON Lines has one object per line with those fields. Times: ISO 8601 with a zone
  (2026-03-01T12:00:00Z, 2026-03-01T20:00:00+08:00) or epoch milliseconds.

Options
  --serve P              serve at least P% of each city's orders (default 100)
  --area strict|ladder   strict: an order takes an X of its city (default); ladder: its city
                         first, then any X of the mode's pool (cities share spare X)
  --extensions N         AXE: extensions per X (default 200)
  --mode AXB|AX|AXE      the mode of rows without one (default: every row names its mode)
  --format csv|jsonl     the log's format (default: by file name, else by its first character)
  --json                 print the plan as JSON

Generating a log (delivery-like: lunch and dinner peaks, couriers with up to 15 open orders)
  --generate N           N orders, sorted by start, to stdout
  --days D               over D days (default 30), from --from DATE (default 2026-03-01)
  --cities LIST          city labels with weights, e.g. 0755:4,010:3,021:3,020:2 (the default)
  --mode M               AXB (default; a = customer, b = courier), AX (a = courier), AXE (a = customer)
  --format F             csv (default) or jsonl
  --seed S               the same seed gives the same log (default 1)
`;

/** Where `plan` writes: long output (a generated log) goes out in chunks, the progress bar to `err`. */
export interface PlanIO {
  readonly out: (chunk: string) => void;
  readonly err: ProgressSink;
  /** Reads standard input whole (for LOG `-`). */
  readonly stdin: () => string;
}

const processIO: PlanIO = {
  out: (chunk) => process.stdout.write(chunk),
  err: process.stderr,
  stdin: () => readFileSync(0, "utf8"),
};

/** Runs `bindpool plan` (argv after "plan"); never throws, like the other commands. */
export async function runPlan(
  argv: readonly string[],
  io: PlanIO = processIO,
): Promise<{ code: 0 | 1 | 2; stdout: string; stderr: string }> {
  const bar = new ProgressBar(io.err);
  try {
    const { values, positionals } = parse(argv);
    if (values.help) return { code: 0, stdout: PLAN_HELP, stderr: "" };
    if (values.generate !== undefined) {
      if (positionals.length > 0) throw new UsageError("--generate writes a log; it takes no LOG.");
      generateLog(generateOptions(values), io.out);
      return { code: 0, stdout: "", stderr: "" };
    }
    if (positionals.length !== 1) throw new UsageError(`plan takes one LOG, got ${positionals.length}.`);
    const file = positionals[0]!;
    const text = file === "-" ? io.stdin() : readLog(file);
    const format =
      values.format === undefined ? detectFormat(file, text) : oneOf("--format", values.format, FORMATS);
    const defaultMode =
      values.mode === undefined ? undefined : oneOf("--mode", values.mode.toUpperCase(), PLAN_MODES);
    const log = parseLog(text, { name: file === "-" ? "stdin" : file, format, defaultMode });
    const result = await plan(log, {
      serve: percent(values.serve),
      area: oneOf("--area", values.area ?? "strict", AREAS),
      extensions: extensions(values.extensions),
      progress: (phase, done, total) => bar.update(phase, done, total),
    });
    bar.clear();
    const stdout = `${values.json ? JSON.stringify(result, null, 2) : table(result)}\n`;
    if (!result.confirmed) {
      return {
        code: 1,
        stdout,
        stderr:
          "bindpool: BINDPOOL_PLAN_UNCONFIRMED: the allocator's replay of this plan refused more orders than the search found; please report it with the log.\n",
      };
    }
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    bar.clear();
    if (error instanceof UsageError) return { code: 2, stdout: "", stderr: `bindpool: ${error.message}\n` };
    return { code: 1, stdout: "", stderr: `bindpool: ${(error as Error).message}\n` };
  }
}

const FORMATS = ["csv", "jsonl"] as const;
const AREAS = ["strict", "ladder"] as const;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        serve: { type: "string" },
        area: { type: "string" },
        extensions: { type: "string" },
        mode: { type: "string" },
        format: { type: "string" },
        json: { type: "boolean" },
        generate: { type: "string" },
        days: { type: "string" },
        cities: { type: "string" },
        from: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} Run bindpool plan --help.`);
  }
}

type Flags = ReturnType<typeof parse>["values"];

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read the order log ${file}: ${(error as Error).message}`);
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new UsageError(`${flag} takes ${allowed.join(" or ")}, got "${value}".`);
  return found;
}

function wholeNumber(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, got "${value}".`);
  }
  return n;
}

function percent(value: string | undefined): number {
  if (value === undefined) return 100;
  const n = Number(value);
  if (!(n > 0 && n <= 100))
    throw new UsageError(`--serve takes a percentage above 0, at most 100, got "${value}".`);
  return n;
}

/** AXE extensions per X: at most the 9 999 extensions of 4 digits. */
function extensions(value: string | undefined): number {
  return wholeNumber("--extensions", value, 200, 1, 9_999);
}

function generateOptions(values: Flags) {
  const cities = (values.cities ?? "0755:4,010:3,021:3,020:2").split(",").map((item) => {
    const [city, weight = "1"] = item.split(":");
    const w = Number(weight);
    if (!city || !(w > 0)) {
      throw new UsageError(`--cities takes CITY or CITY:WEIGHT items separated by commas, got "${item}".`);
    }
    return { city, weight: w };
  });
  const from = values.from ?? "2026-03-01";
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(fromMs)) {
    throw new UsageError(`--from takes a date like 2026-03-01, got "${from}".`);
  }
  return {
    orders: wholeNumber("--generate", values.generate, 0, 1, 100_000_000),
    days: wholeNumber("--days", values.days, 30, 1, 3_660),
    cities,
    mode: oneOf("--mode", (values.mode ?? "AXB").toUpperCase(), PLAN_MODES),
    format: oneOf("--format", values.format ?? "csv", FORMATS),
    fromMs,
    seed: wholeNumber("--seed", values.seed, 1, 0, 2 ** 32 - 1),
  };
}

/** The plan for people: one row per city, totals per mode, and how the answer was reached. */
export function table(p: Plan): string {
  const head = [
    "mode",
    "city",
    "orders",
    "X",
    "per X",
    "busiest X",
    "floor",
    "peak open",
    "peak/user",
    "served",
    "refused",
    "unservable",
  ];
  const rows = p.cities.map((c) => [
    c.mode,
    c.city,
    String(c.orders),
    String(c.x),
    String(c.capacityPerX),
    String(c.peakLoadPerX),
    String(c.lowerBound),
    String(c.peakConcurrent),
    String(c.peakPerUser),
    String(c.served),
    String(c.refused),
    String(c.unservable),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const totals = new Map<string, number>();
  for (const c of p.cities) totals.set(c.mode, (totals.get(c.mode) ?? 0) + c.x);
  const totalText = [...totals].map(([mode, x]) => `${mode} ${x}`).join(", ");
  return [
    `plan for ${p.orders} orders: serve ${p.serve}% of each city's orders, area ${p.area}`,
    line(head),
    ...rows.map(line),
    `X to rent: ${totalText}`,
    `search: ${p.searchReplays} replays on the store in ${(p.searchMs / 1000).toFixed(1)} s; ` +
      `the answer replayed through the allocator in ${(p.confirmMs / 1000).toFixed(1)} s: ${p.confirmed ? "confirmed" : "NOT confirmed"}`,
  ].join("\n");
}
