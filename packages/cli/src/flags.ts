import { parseArgs } from "node:util";
import { MAX_CALLEE_SECONDS } from "@bindpool/core";
import { UsageError } from "./config.js";

/** The latest time a JavaScript Date (and so every time the CLI prints) can hold, ms since the epoch. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const ENTRY_STATUSES: readonly string[] = ["reserved", "bound", "releasing"];
const ENTRY_KINDS: readonly string[] = ["order", "foreign", "unbind", "adopted", "reassign"];

/** Every command: its arguments and the flags it takes beside `--config`, `--pool` and `--json`. */
const COMMANDS = {
  stats: { args: [], flags: [] },
  numbers: { args: [], flags: [] },
  order: { args: ["ORDER_KEY"], flags: ["show-numbers"] },
  entries: { args: [], flags: ["status", "kind", "key-prefix", "limit", "show-numbers"] },
  drain: { args: ["X"], flags: ["wait", "poll-seconds"] },
  retire: { args: ["X"], flags: [] },
  quarantine: { args: ["X"], flags: ["minutes"] },
  activate: { args: ["X"], flags: [] },
  callee: { args: ["ORDER_KEY", "NUMBER"], flags: ["seconds", "show-numbers"] },
  sweep: { args: [], flags: [] },
  reconcile: { args: [], flags: ["adopt-unknown"] },
} as const satisfies Record<string, { args: readonly string[]; flags: readonly string[] }>;

export type Command = keyof typeof COMMANDS;

/** The commands that call the platform: only they need the `platform` section and its secret. */
export const PLATFORM_COMMANDS: ReadonlySet<Command> = new Set(["sweep", "reconcile", "callee"]);

export function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: "string" },
      pool: { type: "string" },
      json: { type: "boolean" },
      "show-numbers": { type: "boolean" },
      "adopt-unknown": { type: "boolean" },
      minutes: { type: "string" },
      status: { type: "string" },
      "key-prefix": { type: "string" },
      kind: { type: "string" },
      limit: { type: "string" },
      wait: { type: "boolean" },
      "poll-seconds": { type: "string" },
      seconds: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

export type Flags = ReturnType<typeof parse>["values"];

/** A command line, checked whole before anything connects, so a refused command has changed nothing. */
export interface Invocation {
  readonly command: Command;
  readonly args: readonly string[];
  readonly flags: Flags;
  /** `entries --limit` (default 100). */
  readonly limit: number;
  /** `drain --wait --poll-seconds`, in ms (default 5 s). */
  readonly pollMs: number;
  /** `quarantine --minutes`: the end, ms since the epoch. */
  readonly untilMs: number | undefined;
  /** `callee --seconds` (default: the library's, 60). */
  readonly seconds: number | undefined;
}

export function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMANDS, name);
}

/** Checks a command's arguments and every flag's value; throws `UsageError` on the first problem. */
export function check(command: Command, args: readonly string[], flags: Flags, nowMs: number): Invocation {
  const spec: { args: readonly string[]; flags: readonly string[] } = COMMANDS[command];
  if (args.length !== spec.args.length) {
    const wants = spec.args.length === 0 ? "no arguments" : spec.args.join(" ");
    throw new UsageError(
      `${command} takes ${wants}, got ${args.length} argument${args.length === 1 ? "" : "s"}.`,
    );
  }
  // A flag the command would ignore is refused: `quarantine X --seconds 5` must not quarantine for good.
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || ["config", "pool", "json", "help"].includes(name)) continue;
    if (!spec.flags.includes(name)) {
      const owners = Object.entries(COMMANDS)
        .filter(([, s]) => (s.flags as readonly string[]).includes(name))
        .map(([c]) => c);
      throw new UsageError(`--${name} goes with ${owners.join(", ")} only, not with ${command}.`);
    }
  }
  if (flags.status !== undefined && !ENTRY_STATUSES.includes(flags.status)) {
    throw new UsageError(`--status takes one of ${ENTRY_STATUSES.join(", ")}, got "${flags.status}".`);
  }
  if (flags.kind !== undefined && !ENTRY_KINDS.includes(flags.kind)) {
    throw new UsageError(`--kind takes one of ${ENTRY_KINDS.join(", ")}, got "${flags.kind}".`);
  }
  if (flags["poll-seconds"] !== undefined && !flags.wait) {
    throw new UsageError("--poll-seconds goes with drain --wait only.");
  }
  const limit = whole("limit", flags.limit, 100, 1, Number.MAX_SAFE_INTEGER);
  const pollMs = whole("poll-seconds", flags["poll-seconds"], 5, 1, 3_600) * 1000;
  const seconds =
    flags.seconds === undefined ? undefined : whole("seconds", flags.seconds, 0, 1, MAX_CALLEE_SECONDS);
  return { command, args, flags, limit, pollMs, untilMs: quarantineEnd(flags.minutes, nowMs), seconds };
}

/** A whole number flag from `min` to `max`, or `fallback` when not given. */
function whole(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, got "${value}".`);
  }
  return n;
}

/** The end of a `--minutes N` quarantine: N a positive decimal, the end a time a Date can hold. */
function quarantineEnd(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const most = Math.floor((MAX_TIME_MS - nowMs) / 60_000);
  const minutes = /^[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : Number.NaN;
  const untilMs = Math.ceil(nowMs + minutes * 60_000);
  if (!(minutes > 0 && minutes <= most && untilMs > nowMs && untilMs <= MAX_TIME_MS)) {
    throw new UsageError(`--minutes takes a positive number of minutes up to ${most}, got "${value}".`);
  }
  return untilMs;
}
