import { parseArgs } from "node:util";
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
  type PoolStats,
  StoreError,
} from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { Cluster, Redis } from "ioredis";
import { type CliConfig, loadConfig, UsageError } from "./config.js";
import { runPlan } from "./plan/command.js";

/** The CLI makes and closes its own connection, so it holds the whole ioredis client. */
type RedisClient = Redis | Cluster;

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
  quarantine X           no new binds until --minutes N from now (default: until activate)
  activate X             X takes new binds again
  callee ORDER_KEY NUMBER  AX: the order's holder reaches NUMBER with its next call through X, for
                         --seconds N (1-259200, default 60; needs "platform")
  sweep                  one sweeper pass: ended leases, ended orders, queued unbinds (needs "platform")
  reconcile              one reconcile pass against the platform (needs "platform");
                         --adopt-unknown adopts unknown bindings instead of unbinding them
  plan LOG               how many X to rent per city for an order log (no Redis, no config;
                         bindpool plan --help for its options)

Options
  --config FILE          deployment config (default ./bindpool.json): redis, pools, platform
  --pool ID              the pool (default: every pool for stats, numbers, sweep and reconcile;
                         needed for the other commands when there are several)
  --json                 print JSON instead of text
  -h, --help

Environment: REDIS_URL overrides redis.url (and redis.cluster, redis.sentinel); the platform app secret is read from the variable
named by platform.appSecretEnv (default PN_APP_SECRET).
Exit codes: 0 done, 1 the command failed (bindpool error code printed), 2 bad usage or config.
`;

const STATE_COMMANDS: Readonly<Record<string, NumberState>> = {
  drain: "draining",
  retire: "retired",
  quarantine: "quarantined",
  activate: "active",
};
const ENTRY_STATUSES: readonly string[] = ["reserved", "bound", "releasing"];
const ENTRY_KINDS: readonly string[] = ["order", "foreign", "unbind", "adopted", "reassign"];

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

/** Runs one CLI command; never throws (errors become exit codes and messages). */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  if (argv[0] === "plan") return runPlan(argv.slice(1)); // its own options; no Redis or config
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
    if (!Deployment.runs(command)) throw new UsageError(`Unknown command "${command}". Run bindpool --help.`);
    const config = loadConfig(values.config ?? "bindpool.json");
    deployment = await Deployment.open(config, env);
    const out = await deployment.run(command, args, values);
    return { code: 0, stdout: `${values.json ? JSON.stringify(out.json, null, 2) : out.text}\n`, stderr: "" };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout: "", stderr: `bindpool: ${error.message}\n` };
    const code = error instanceof BindpoolError ? `${error.code}: ` : "";
    return { code: 1, stdout: "", stderr: `bindpool: ${code}${(error as Error).message}\n` };
  } finally {
    await deployment?.close();
  }
}

function parse(argv: readonly string[]) {
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

type Flags = ReturnType<typeof parse>["values"];

type Handler = (d: Deployment, args: string[], flags: Flags) => Promise<Output>;

/** The app's Redis, store, order lock and pools, as one Allocator sees them. */
class Deployment {
  /** Every command, by name. */
  private static readonly commands: Readonly<Record<string, Handler>> = {
    stats: (d, _args, flags) => d.stats(flags),
    numbers: (d, _args, flags) => d.numbers(flags),
    order: (d, args, flags) => d.order(one("order", args, "ORDER_KEY"), flags),
    entries: (d, _args, flags) => d.entries(flags),
    sweep: (d, _args, flags) => d.job("sweep", flags),
    reconcile: (d, _args, flags) => d.job("reconcile", flags),
    callee: (d, args, flags) => d.callee(args, flags),
    ...Object.fromEntries(
      Object.entries(STATE_COMMANDS).map(([name, state]): [string, Handler] => [
        name,
        (d, args, flags) => d.setState(state, one(name, args, "X"), flags),
      ]),
    ),
  };

  static runs(command: string): boolean {
    return Object.hasOwn(Deployment.commands, command);
  }

  private constructor(
    private readonly config: CliConfig,
    private readonly url: string,
    private readonly prefix: string,
    private readonly redis: RedisClient,
    private readonly store: RedisStore,
    private readonly lock: RedisLock,
    private readonly allocator: Allocator,
  ) {}

  static async open(config: CliConfig, env: NodeJS.ProcessEnv): Promise<Deployment> {
    const driver = driverFor(config, env);
    const { redis, url } = connection(config, env);
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
    const prefix = config.redis.prefix ?? "bp";
    const store = new RedisStore({ redis, prefix });
    // The order lock of the app instances, so a sweep or reconcile never races one of their calls.
    const lock = new RedisLock({ redis, prefix: config.redis.lockPrefix ?? prefix });
    // The app instances write the pools; a stale copy of their config here must never change them.
    const allocator = new Allocator({ store, driver, pools: config.pools, lock, writePools: false });
    return new Deployment(config, url, prefix, redis, store, lock, allocator);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  run(command: string, args: string[], flags: Flags): Promise<Output> {
    return Deployment.commands[command]!(this, args, flags);
  }

  /** The pools a command works on: `--pool`, or all of the config's. */
  private chosenPools(flags: Flags): string[] {
    const ids = this.config.pools.map((p) => p.id);
    if (flags.pool === undefined) return ids;
    if (!ids.includes(flags.pool)) {
      throw new UsageError(`No pool "${flags.pool}" in the config file (pools: ${ids.join(", ")}).`);
    }
    return [flags.pool];
  }

  /** The chosen pools, checked to be in the store (for commands whose own reads cannot tell). */
  private async pools(flags: Flags): Promise<string[]> {
    const ids = this.chosenPools(flags);
    for (const id of ids) await this.storeStats(id);
    return ids;
  }

  private async onePool(flags: Flags): Promise<string> {
    if (flags.pool === undefined && this.config.pools.length > 1) {
      const ids = this.config.pools.map((p) => p.id);
      throw new UsageError(`Name the pool with --pool (pools: ${ids.join(", ")}).`);
    }
    return (await this.pools(flags))[0]!;
  }

  /** A pool's stats; a pool without numbers in the store was never written there (wrong Redis or prefix). */
  private async storeStats(id: string): Promise<PoolStats> {
    const stats = await this.store.stats(id, Date.now());
    if (stats.numbers === 0) throw this.notInStore(id);
    return stats;
  }

  private notInStore(id: string): BindpoolError {
    return new BindpoolError(
      "BINDPOOL_UNKNOWN_POOL",
      `Pool "${id}" is not in the store at ${this.url} with prefix "${this.prefix}": no app instance has written it (the CLI never creates pools). Check redis and prefix.`,
    );
  }

  private async stats(flags: Flags): Promise<Output> {
    const pools: (PoolStats & { cities: Awaited<ReturnType<Allocator["utilisation"]>> })[] = [];
    for (const id of this.chosenPools(flags)) {
      pools.push({ ...(await this.storeStats(id)), cities: await this.allocator.utilisation(id) });
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

  private async numbers(flags: Flags): Promise<Output> {
    const rows: (NumberLoad & { pool: string })[] = [];
    for (const pool of this.chosenPools(flags)) {
      const numbers = await this.store.numbers(pool);
      if (numbers.length === 0) throw this.notInStore(pool);
      for (const n of numbers) rows.push({ pool, ...n });
    }
    const now = Date.now();
    const text = rows.map((n) => {
      const cooling = n.cooldownUntilMs > now ? `  cooling until ${iso(n.cooldownUntilMs)}` : "";
      return `${n.pool}  ${n.x}  ${n.state.padEnd(11)}  ${n.load}/${n.capacity}${cooling}`;
    });
    return { text: text.join("\n"), json: rows };
  }

  private async order(orderKey: string, flags: Flags): Promise<Output> {
    const pool = await this.onePool(flags);
    const entry = await this.allocator.get(orderKey, pool);
    if (entry === undefined) return { text: `no order "${orderKey}" in pool ${pool}`, json: null };
    const shown = masked(entry, flags);
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

  private async entries(flags: Flags): Promise<Output> {
    const { status, kind, "key-prefix": keyPrefix = "" } = flags;
    if (status !== undefined && !ENTRY_STATUSES.includes(status)) {
      throw new UsageError(`--status takes one of ${ENTRY_STATUSES.join(", ")}, got "${status}".`);
    }
    if (kind !== undefined && !ENTRY_KINDS.includes(kind)) {
      throw new UsageError(`--kind takes one of ${ENTRY_KINDS.join(", ")}, got "${kind}".`);
    }
    const limit = flags.limit === undefined ? 100 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError(`--limit takes a whole number of at least 1, got "${flags.limit}".`);
    }
    const matching: Entry[] = [];
    for (const pool of await this.pools(flags)) {
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
    const shown = matching.slice(0, limit).map((e) => masked(e, flags));
    const lines = shown.map(
      (e) => `${e.pool}  ${e.orderKey}  ${e.status.padEnd(9)}  ${onX(e)}  until ${iso(e.untilMs)}`,
    );
    const more = matching.length > limit ? [`(${matching.length - limit} more; raise --limit)`] : [];
    return {
      text: [`${matching.length} entries`, ...lines, ...more].join("\n"),
      json: { total: matching.length, entries: shown },
    };
  }

  private async drainAndWait(x: string, flags: Flags): Promise<Output> {
    const pollMs = pollSeconds(flags) * 1000;
    const pool = await this.onePool(flags);
    const started = Date.now();
    await this.allocator.drain(x, { pool, pollMs });
    const waited = Math.round((Date.now() - started) / 1000);
    return {
      text: `${x} in pool ${pool} is draining and carries nothing now (waited ${waited} s)`,
      json: { pool, x, state: "draining", empty: true },
    };
  }

  private async callee(args: string[], flags: Flags): Promise<Output> {
    if (args.length !== 2)
      throw new UsageError(`callee takes ORDER_KEY and NUMBER, got ${args.length} arguments.`);
    const [orderKey, callee] = args as [string, string];
    const seconds = flags.seconds === undefined ? undefined : Number(flags.seconds);
    const pool = await this.onePool(flags);
    const set = await this.allocator.setCallee(orderKey, { callee, ttlSeconds: seconds }, pool);
    const shown = flags["show-numbers"] ? callee : mask(callee);
    return {
      text: `order ${orderKey} in pool ${pool}: the next call through ${set.x} reaches ${shown} until ${iso(set.expiresAtMs)}`,
      json: { pool, orderKey, ...set },
    };
  }

  private async setState(state: NumberState, x: string, flags: Flags): Promise<Output> {
    if (flags.wait && state !== "draining") throw new UsageError("--wait goes with drain only.");
    if (state === "draining" && flags.wait) return this.drainAndWait(x, flags);
    const pool = await this.onePool(flags);
    let untilMs: number | undefined;
    if (flags.minutes !== undefined) {
      const minutes = Number(flags.minutes);
      if (state !== "quarantined" || !(minutes > 0)) {
        throw new UsageError("--minutes takes a positive number, with quarantine only.");
      }
      untilMs = Date.now() + minutes * 60_000;
    }
    await this.allocator.setNumberState(x, state, { pool, untilMs });
    const until = untilMs === undefined ? "" : ` until ${iso(untilMs)}`;
    return { text: `${x} in pool ${pool} is ${state}${until}`, json: { pool, x, state, untilMs } };
  }

  /** One sweep or reconcile, elected like the app's jobs so it never runs beside theirs. */
  private async job(name: "sweep" | "reconcile", flags: Flags): Promise<Output> {
    if (this.config.platform === undefined) {
      throw new UsageError(`${name} talks to the platform: add a "platform" section to the config file.`);
    }
    const pools = await this.pools(flags);
    const adoptUnknown = flags["adopt-unknown"] === true;
    const job = name === "sweep" ? JOB_ELECTIONS.sweeper : JOB_ELECTIONS.reconciler;
    const reports: Record<string, unknown> = {};
    const elected = await this.lock.elect(job, 10_000, async (signal) => {
      for (const pool of pools) {
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

/** A client for the configured Redis (standalone, Cluster or Sentinel) that fails fast instead of reconnecting. */
function connection(config: CliConfig, env: NodeJS.ProcessEnv): { redis: RedisClient; url: string } {
  const url = env.REDIS_URL || config.redis.url;
  const { cluster, sentinel } = config.redis;
  const failFast = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null } as const;
  if (url) return { redis: new Redis(url, failFast), url: URL.canParse(url) ? redacted(new URL(url)) : url };
  const seeds = (cluster ?? sentinel?.nodes)?.map((u) => new URL(u));
  if (seeds === undefined) {
    throw new UsageError(
      "No Redis: set redis.url, redis.cluster or redis.sentinel in the config file, or REDIS_URL.",
    );
  }
  const nodes = seeds.map((n) => ({ host: n.hostname, port: Number(n.port || (sentinel ? 26379 : 6379)) }));
  const first = seeds[0]!;
  const credentials = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === "rediss:" ? { tls: {} } : {}),
  };
  const shown = seeds.map(redacted).join(", ");
  if (sentinel !== undefined) {
    const redis = new Redis({
      ...failFast,
      ...credentials,
      sentinels: nodes,
      name: sentinel.name,
      sentinelRetryStrategy: () => null,
    });
    return { redis, url: `${shown} (Sentinel master ${sentinel.name})` };
  }
  const redis = new Cluster(nodes, {
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    redisOptions: { maxRetriesPerRequest: 1, ...credentials },
  });
  return { redis, url: shown };
}

/** A Redis URL without its password, for messages. */
function redacted(url: URL): string {
  const shown = new URL(url);
  if (shown.password) shown.password = "***";
  return shown.href;
}

function driverFor(config: CliConfig, env: NodeJS.ProcessEnv): PlatformDriver {
  const platform = config.platform;
  if (platform === undefined) return OFFLINE;
  const appSecret = env[platform.appSecretEnv];
  if (!appSecret) {
    throw new UsageError(`Set the platform app secret in the environment variable ${platform.appSecretEnv}.`);
  }
  return new HuaweiDriver({
    baseUrl: platform.baseUrl,
    appKey: platform.appKey,
    appSecret,
    auth: platform.auth,
    requestsPerSecond: platform.requestsPerSecond,
  });
}

/** The driver of a config without a platform: the commands that use one check for it first. */
const offline = (): never => {
  throw new UsageError('This command talks to the platform: add a "platform" section to the config file.');
};
const OFFLINE: PlatformDriver = {
  bind: offline,
  unbind: offline,
  modify: offline,
  query: offline,
  setCallee: offline,
};

/** Seconds from `--poll-seconds` (default 5), checked before anything changes. */
function pollSeconds(flags: Flags): number {
  const seconds = flags["poll-seconds"] === undefined ? 5 : Number(flags["poll-seconds"]);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3_600) {
    throw new UsageError(
      `--poll-seconds takes a whole number from 1 to 3600, got "${flags["poll-seconds"]}".`,
    );
  }
  return seconds;
}

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

function one(command: string, args: string[], what: string): string {
  if (args.length !== 1) throw new UsageError(`${command} takes one ${what}, got ${args.length}.`);
  return args[0]!;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : `${((100 * part) / whole).toFixed(2)}%`;
}
