import {
  Allocator,
  BindpoolError,
  displayKey,
  type Entry,
  internalKind,
  JOB_ELECTIONS,
  mask,
  type NumberLoad,
  type NumberState,
  type PlatformDriver,
  type PoolConfig,
  type PoolStats,
  StoreError,
} from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { type CliConfig, loadConfig, UsageError } from "./config.js";
import { connection, type RedisClient } from "./connection.js";
import {
  type Command,
  check,
  type Flags,
  type Invocation,
  isCommand,
  PLATFORM_COMMANDS,
  parse,
} from "./flags.js";
import { runPlan } from "./plan/command.js";
import { poolsFromStore } from "./pools.js";
import { Secrets } from "./secrets.js";

export const HELP = `bindpool: operator commands for a bindpool deployment on Redis

Usage: bindpool <command> [arguments] [options]

Commands
  stats                  per pool: numbers by state, reserved and bound orders, load per city
  numbers                per X: state, load / capacity, cooldown end
  order ORDER_KEY        one order's entry (numbers masked; --show-numbers shows them)
  entries                the store's entries, O(entries): --status reserved|bound|releasing
                         (releasing: unbinds waiting for the platform), --kind order|foreign|
                         unbind|adopted|reassign (foreign: bindings fenced off after a conflict;
                         bindpool's own entries show as <kind:id>), --key-prefix P (orderKeys
                         starting with P), --limit N (default 100)
  drain X                no new binds on X; bindings on it finish; --wait waits until X carries
                         nothing (AX couriers' shifts ended, orders completed), checking every
                         --poll-seconds N (default 5)
  retire X               as drain, for good
  quarantine X           no new binds until --minutes N from now (N > 0, may be fractional;
                         default: until activate)
  activate X             X takes new binds again
  callee ORDER_KEY NUMBER  AX: the order's holder reaches NUMBER with its next call through X, for
                         --seconds N (1-259200, default 60; needs "platform")
  sweep                  one sweeper pass: ended leases, ended orders, queued unbinds (needs "platform")
  reconcile              one reconcile pass against the platform (needs "platform");
                         --adopt-unknown adopts unknown bindings instead of unbinding them
  plan LOG               how many X to rent per city for an order log (no Redis, no config;
                         bindpool plan --help for its options)

Options
  --config FILE          deployment config (default ./bindpool.json): redis; optionally pools
                         (which of the store's pools) and platform (for callee, sweep, reconcile)
  --pool ID              the pool (default: every pool in the store, or the config's pools, for
                         stats, numbers, entries, sweep and reconcile; needed for the other
                         commands when there are several)
  --json                 print JSON instead of text
  -h, --help

Environment: REDIS_URL overrides redis.url (and redis.cluster, redis.sentinel); callee, sweep and
reconcile read the platform app secret from the variable named by platform.appSecretEnv (default
PN_APP_SECRET). Passwords never appear in what the CLI prints.
Exit codes: 0 done, 1 the command failed (bindpool error code printed), 2 bad usage or config
(arguments and flags are checked before anything changes).
`;

const STATE_COMMANDS: Readonly<Partial<Record<Command, NumberState>>> = {
  drain: "draining",
  retire: "retired",
  quarantine: "quarantined",
  activate: "active",
};
/** The commands that work on one pool (`--pool` when the store has several). */
const ONE_POOL: ReadonlySet<Command> = new Set([
  "order",
  "callee",
  ...(Object.keys(STATE_COMMANDS) as Command[]),
]);

/** What a command prints: `text` for people, `json` with `--json`. */
interface Output {
  readonly text: string;
  readonly json: unknown;
}

export interface RunResult {
  readonly code: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one CLI command; never throws (errors become exit codes and messages). No credential it knows of
 * (Redis passwords in any form, the platform secret) appears in what it returns.
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  if (argv[0] === "plan") return runPlan(argv.slice(1)); // its own options; no Redis or config
  const secrets = new Secrets();
  const result = await runCommand(argv, env, secrets);
  return { ...result, stdout: secrets.scrub(result.stdout), stderr: secrets.scrub(result.stderr) };
}

async function runCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
): Promise<RunResult> {
  let values: Flags;
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    return { code: 2, stdout: "", stderr: `bindpool: ${(error as Error).message}\n\n${HELP}` };
  }
  const [command, ...args] = positionals;
  if (values.help || command === undefined) return { code: values.help ? 0 : 2, stdout: HELP, stderr: "" };
  let deployment: Deployment | undefined;
  try {
    if (!isCommand(command)) throw new UsageError(`Unknown command "${command}". Run bindpool --help.`);
    // Every argument and flag is checked before anything connects: a refused command changes nothing.
    const invocation = check(command, args, values, Date.now());
    const config = loadConfig(values.config ?? "bindpool.json", secrets);
    const driver = PLATFORM_COMMANDS.has(command) ? driverFor(command, config, env, secrets) : OFFLINE;
    deployment = await Deployment.open(config, env, invocation, driver, secrets);
    const out = await deployment.run();
    return { code: 0, stdout: `${values.json ? JSON.stringify(out.json, null, 2) : out.text}\n`, stderr: "" };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout: "", stderr: `bindpool: ${error.message}\n` };
    const code = error instanceof BindpoolError ? `${error.code}: ` : "";
    return { code: 1, stdout: "", stderr: `bindpool: ${code}${(error as Error).message}\n` };
  } finally {
    await deployment?.close();
  }
}

/** The app's Redis, store, order lock and pools (read from the store), as one Allocator sees them. */
class Deployment {
  private constructor(
    private readonly invocation: Invocation,
    private readonly redis: RedisClient,
    private readonly store: RedisStore,
    private readonly lock: RedisLock,
    private readonly allocator: Allocator,
    /** The pools the command works on. */
    private readonly pools: readonly PoolConfig[],
  ) {}

  static async open(
    config: CliConfig,
    env: NodeJS.ProcessEnv,
    invocation: Invocation,
    driver: PlatformDriver,
    secrets: Secrets,
  ): Promise<Deployment> {
    const { redis, url } = connection(config, env, secrets);
    let lastError: Error | undefined;
    redis.on("error", (error: Error) => {
      lastError = error;
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new StoreError(`Cannot reach Redis at ${url}: ${(lastError ?? (error as Error)).message}`, {
        cause: error,
      });
    }
    try {
      const prefix = config.redis.prefix ?? "bp";
      const store = new RedisStore({ redis, prefix });
      const { command, flags } = invocation;
      const pools = await poolsFromStore(store, { url, prefix }, config, flags.pool, ONE_POOL.has(command));
      // The order lock of the app instances, so a sweep or reconcile never races one of their calls.
      const lock = new RedisLock({ redis, prefix: config.redis.lockPrefix ?? prefix });
      // The app instances write the pools; the CLI only works on them.
      const allocator = new Allocator({ store, driver, pools, lock, writePools: false });
      return new Deployment(invocation, redis, store, lock, allocator, pools);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  run(): Promise<Output> {
    const { command, args } = this.invocation;
    const state = STATE_COMMANDS[command];
    if (state !== undefined) return this.setState(state, args[0]!);
    switch (command) {
      case "stats":
        return this.stats();
      case "numbers":
        return this.numbers();
      case "order":
        return this.order(args[0]!);
      case "entries":
        return this.entries();
      case "callee":
        return this.callee(args[0]!, args[1]!);
      default:
        return this.job(command === "sweep" ? "sweep" : "reconcile");
    }
  }

  private get flags(): Flags {
    return this.invocation.flags;
  }

  private get poolIds(): string[] {
    return this.pools.map((p) => p.id);
  }

  private async stats(): Promise<Output> {
    const pools: (PoolStats & { cities: Awaited<ReturnType<Allocator["utilisation"]>> })[] = [];
    for (const id of this.poolIds) {
      pools.push({
        ...(await this.store.stats(id, Date.now())),
        cities: await this.allocator.utilisation(id),
      });
    }
    const text = pools.map((p) => {
      const states = Object.entries(p.byState)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ");
      const cities = p.cities.map(
        (c) => `  city ${c.city}: ${c.load} of ${c.capacity} pairs (${percent(c.load, c.capacity)})`,
      );
      return [
        `pool ${p.pool} (${p.mode}): ${p.numbers} numbers (${states}), ${p.available} take binds now`,
        `  orders: ${p.bound} bound, ${p.reserved} reserved; capacity ${p.capacity} pairs`,
        ...cities,
      ].join("\n");
    });
    return { text: text.join("\n"), json: pools };
  }

  private async numbers(): Promise<Output> {
    const rows: (NumberLoad & { pool: string })[] = [];
    for (const pool of this.poolIds) {
      for (const n of await this.store.numbers(pool)) rows.push({ pool, ...n });
    }
    const now = Date.now();
    const text = rows.map((n) => {
      const cooling = n.cooldownUntilMs > now ? `  cooling until ${iso(n.cooldownUntilMs)}` : "";
      return `${n.pool}  ${n.x}  ${n.state.padEnd(11)}  ${n.load}/${n.capacity}${cooling}`;
    });
    return { text: text.join("\n"), json: rows };
  }

  private async order(orderKey: string): Promise<Output> {
    const pool = this.poolIds[0]!;
    const entry = await this.allocator.get(orderKey, pool);
    if (entry === undefined) return { text: `no order "${orderKey}" in pool ${pool}`, json: null };
    const shown = masked(entry, this.flags);
    const text = [
      `order ${shown.orderKey} in pool ${shown.pool}: ${shown.status} on ${onX(shown)}`,
      `  a ${shown.a}${shown.b === undefined ? "" : `, b ${shown.b}`}`,
      ...(shown.previousB === undefined
        ? []
        : [`  previous b ${shown.previousB} held until its modify settles`]),
      `  ${shown.status === "reserved" ? "lease ends" : "ends"} ${iso(shown.untilMs)}`,
      ...(shown.subscriptionId === undefined ? [] : [`  subscriptionId ${shown.subscriptionId}`]),
    ];
    return { text: text.join("\n"), json: shown };
  }

  private async entries(): Promise<Output> {
    const { status, kind, "key-prefix": keyPrefix = "" } = this.flags;
    const { limit } = this.invocation;
    const matching: Entry[] = [];
    for (const pool of this.poolIds) {
      for (const e of await this.store.entries(pool)) {
        const entryKind = internalKind(e.orderKey) ?? "order";
        if (
          (status === undefined || e.status === status) &&
          (kind === undefined || entryKind === kind) &&
          e.orderKey.startsWith(keyPrefix)
        )
          matching.push(e);
      }
    }
    const shown = matching.slice(0, limit).map((e) => masked(e, this.flags));
    const lines = shown.map(
      (e) => `${e.pool}  ${e.orderKey}  ${e.status.padEnd(9)}  ${onX(e)}  until ${iso(e.untilMs)}`,
    );
    const more = matching.length > limit ? [`(${matching.length - limit} more; raise --limit)`] : [];
    return {
      text: [`${matching.length} entries`, ...lines, ...more].join("\n"),
      json: { total: matching.length, entries: shown },
    };
  }

  private async drainAndWait(x: string): Promise<Output> {
    const pool = this.poolIds[0]!;
    const started = Date.now();
    await this.allocator.drain(x, { pool, pollMs: this.invocation.pollMs });
    const waited = Math.round((Date.now() - started) / 1000);
    return {
      text: `${x} in pool ${pool} is draining and carries nothing now (waited ${waited} s)`,
      json: { pool, x, state: "draining", empty: true },
    };
  }

  private async callee(orderKey: string, callee: string): Promise<Output> {
    const pool = this.poolIds[0]!;
    const set = await this.allocator.setCallee(
      orderKey,
      { callee, ttlSeconds: this.invocation.seconds },
      pool,
    );
    const shown = this.flags["show-numbers"] ? callee : mask(callee);
    return {
      text: `order ${orderKey} in pool ${pool}: the next call through ${set.x} reaches ${shown} until ${iso(set.expiresAtMs)}`,
      json: { pool, orderKey, ...set },
    };
  }

  private async setState(state: NumberState, x: string): Promise<Output> {
    if (state === "draining" && this.flags.wait) return this.drainAndWait(x);
    const pool = this.poolIds[0]!;
    const { untilMs } = this.invocation;
    await this.allocator.setNumberState(x, state, { pool, untilMs });
    const until = untilMs === undefined ? "" : ` until ${iso(untilMs)}`;
    return { text: `${x} in pool ${pool} is ${state}${until}`, json: { pool, x, state, untilMs } };
  }

  /** One sweep or reconcile, elected like the app's jobs so it never runs beside theirs. */
  private async job(name: "sweep" | "reconcile"): Promise<Output> {
    const adoptUnknown = this.flags["adopt-unknown"] === true;
    const job = name === "sweep" ? JOB_ELECTIONS.sweeper : JOB_ELECTIONS.reconciler;
    const reports: Record<string, unknown> = {};
    const elected = await this.lock.elect(job, 10_000, async (signal) => {
      for (const pool of this.poolIds) {
        reports[pool] =
          name === "sweep"
            ? await this.allocator.sweep({ pool, signal })
            : await this.allocator.reconcile({ pool, signal, adoptUnknown });
      }
    });
    if (!elected.leader) {
      throw new BindpoolError(
        "BINDPOOL_JOB_BUSY",
        `Another instance is running the ${name} now (job lock "${job}"); try again shortly.`,
      );
    }
    const text = Object.entries(reports).map(
      ([pool, report]) =>
        `pool ${pool}: ${Object.entries(report as Record<string, number>)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
    );
    return { text: text.join("\n"), json: reports };
  }
}

/** The platform driver of a command that calls the platform: needs the `platform` section and its secret. */
function driverFor(
  command: Command,
  config: CliConfig,
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
): PlatformDriver {
  const platform = config.platform;
  if (platform === undefined) {
    throw new UsageError(`${command} talks to the platform: add a "platform" section to the config file.`);
  }
  const appSecret = env[platform.appSecretEnv];
  if (!appSecret) {
    throw new UsageError(
      `${command} talks to the platform: set the app secret in the environment variable ${platform.appSecretEnv}.`,
    );
  }
  secrets.add(appSecret);
  return new HuaweiDriver({
    baseUrl: platform.baseUrl,
    appKey: platform.appKey,
    appSecret,
    auth: platform.auth,
    requestsPerSecond: platform.requestsPerSecond,
  });
}

/**
 * The driver of the commands that do not call the platform. The only call one could still make is the
 * rebuild of a pool the store lost, which an app instance does: its failed reads leave the pool
 * recovering, and the command fails with `BINDPOOL_STORE_RECOVERING` without having changed anything.
 */
const offline = (): never => {
  throw new Error("this command has no platform access");
};
const OFFLINE: PlatformDriver = {
  bind: offline,
  unbind: offline,
  modify: offline,
  query: offline,
  setCallee: offline,
};

/**
 * Where an entry is: X, in AXE with the extension callers dial after it (`+8619900000001 ext 0042`), in
 * AXYB with B's number Y (`+8619900000001 / Y +8619900000002`).
 */
function onX(e: Pick<Entry, "x" | "extension" | "y">): string {
  if (e.extension !== undefined) return `${e.x} ext ${e.extension}`;
  return e.y === undefined ? e.x : `${e.x} / Y ${e.y}`;
}

/** An entry as shown: bindpool's own keys readable (`<kind:id>`), users masked (a pending previousB too) unless --show-numbers. */
function masked(entry: Entry, flags: Flags): Entry & { kind: string } {
  const shown = {
    ...entry,
    orderKey: displayKey(entry.orderKey),
    kind: internalKind(entry.orderKey) ?? "order",
  };
  if (flags["show-numbers"]) return shown;
  return {
    ...shown,
    a: mask(entry.a),
    ...(entry.b === undefined ? {} : { b: mask(entry.b) }),
    ...(entry.previousB === undefined ? {} : { previousB: mask(entry.previousB) }),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : `${((100 * part) / whole).toFixed(2)}%`;
}
