import { createHash } from "node:crypto";
import { StoreError, StoreLostError, type StoreLostReason } from "@bindpool/core";
import type { RedisClient } from "./client.js";
import type { PoolKeys } from "./keys.js";
import { LUA } from "./lua.generated.js";

export type { RedisClient };

/** One flat reply row per entry: orderKey, packed entry, X. */
export type EntryRows = string[];
/** `[1 | 2, packedEntry, x]` (new or existing reservation; x is `x,y` in AXYB) or a negative code. */
export type ReserveReply = [number, string, string] | number;

/** Pool writes that `batch-7` may run several of in one call: every state change but upsertPool. */
const BATCHED = [
  "setNumberState-7",
  "cooldown-7",
  "reserve-7",
  "confirm-7",
  "release-7",
  "extend-7",
  "markReleasing-7",
  "changeB-7",
  "settleB-7",
  "swap-7",
] as const;
type BatchedScript = (typeof BATCHED)[number];

const POOL_SCRIPTS = [
  "upsertPool-7",
  "poolGeneration-7",
  "finishRecovery-7",
  ...BATCHED,
  "getEntries-7",
  "expiredEntries-7",
  "entriesPage-7",
  "getNumbers-7",
  "getLoad-7",
] as const;
type PoolScript = (typeof POOL_SCRIPTS)[number];

/**
 * `scripts/<file>`'s text, inlined at build time (scripts/inline-lua.mjs): nothing is read from the
 * package's folder at run time, so bundlers work.
 */
function readScript(file: string): string {
  const lua = LUA[file];
  if (lua === undefined) throw new StoreError(`No Lua script ${file} in this build of @bindpool/redis`);
  return lua;
}

const verbNoun = (script: string) => script.slice(0, script.lastIndexOf("-"));

/** Where the library's name goes in the assembled source before it is known (see `assembleLibrary`). */
export const LIBRARY_NAME_PLACEHOLDER = "bindpool_LIBRARY";

/**
 * The hash the linear-hashing tables place `s` by (`hashOf` in includes/hashing.lua: the first 8 hex digits
 * of its SHA-1, over its UTF-8 bytes as Redis receives them). The hot scripts take it from the caller, so
 * Redis' one core spends no time on SHA-1 for the orderKey and users they are given.
 */
export function hashHint(s: string): string {
  return createHash("sha1").update(s).digest("hex").slice(0, 8);
}

/** First 12 hex digits of the SHA-1 of `text`: the version of a script or library. */
export function contentVersion(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 12);
}

/**
 * The shared prelude of the library, one file per concern, concatenated in this order (each uses only
 * names the files before it define; Lua locals must be declared before the functions that use them).
 */
export const PRELUDE = [
  "includes/keys.lua", // every key name (mirrors keys.ts)
  "includes/codecs.lua", // fmt, enc/dec (base 36), split
  "includes/meta.lua", // the per-call meta cache and its flush
  "includes/expiry.lua", // the expiry index (x:<bucket>, exp)
  "includes/hashing.lua", // linear hashing: buckets, memo, split
  "includes/numbers.lua", // number records, load indexes (reindex, settle, cool)
  "includes/holdings.lua", // the X each user holds
  "includes/entries.lua", // entries, AXE extensions, AXYB Y
  "includes/call.lua", // begin: per-call reset and the generation guard; codes
] as const;

/**
 * The Redis Functions library source with {@link LIBRARY_NAME_PLACEHOLDER} for its name: the
 * {@link PRELUDE}; per script file a `local function op_<verbNoun>(ARGV)` holding its body and a
 * `register_function` that runs it after `begin(KEYS, ARGV)`; then `batch`, which runs several of the
 * writes in one call. `read` gives a file's text (tests pass changed ones).
 */
export function assembleLibrary(read: (file: string) => string = readScript): string {
  const name = (script: PoolScript | "batch-7") => `${LIBRARY_NAME_PLACEHOLDER}_${verbNoun(script)}`;
  const parts = [`#!lua name=${LIBRARY_NAME_PLACEHOLDER}`, ...PRELUDE.map((file) => read(file))];
  const register = (script: PoolScript | "batch-7", body: string) =>
    `redis.register_function("${name(script)}", function(KEYS, ARGV)\nbegin(KEYS, ARGV)\n${body}\nend)`;
  for (const s of POOL_SCRIPTS) {
    const op = `op_${verbNoun(s)}`;
    parts.push(`local function ${op}(ARGV)\n${read(`${s}.lua`)}\nend`, register(s, `return ${op}(ARGV)`));
  }
  parts.push(
    `local OPS = { ${BATCHED.map((s) => `${verbNoun(s)} = op_${verbNoun(s)}`).join(", ")} }`,
    register("batch-7", read("batch-7.lua")),
  );
  return parts.join("\n");
}

/** The library's name: `bindpool_` and the content version of its source (with the placeholder). */
export function libraryName(assembled: string): string {
  return `bindpool_${contentVersion(assembled)}`;
}

let library: { readonly name: string; readonly source: string } | undefined;
/**
 * The Redis Functions library holding the pool scripts (assembled once per process), named after
 * the hash of its own source: any change to any Lua file gives a new name, so an old instance beside a
 * new one never calls a function of the other's contract. Loaded once per server (FUNCTION LOAD
 * REPLACE), so the prelude's helpers are built once, not on every call.
 */
export function poolLibrary(): { readonly name: string; readonly source: string } {
  if (library === undefined) {
    const assembled = assembleLibrary();
    const name = libraryName(assembled);
    library = { name, source: assembled.replaceAll(LIBRARY_NAME_PLACEHOLDER, name) };
  }
  return library;
}

const functionName = (script: PoolScript | "batch-7") => `${poolLibrary().name}_${verbNoun(script)}`;

/** A script registered on an ioredis client, called as `(...keys, ...argv)`. */
export type Command = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers `lua` under `bindpool:<verbNoun>:<content version>` with `defineCommand` (EVALSHA, and EVAL
 * when the server lost its script cache) and returns the bound command. `file` is `verbNoun-<numKeys>`.
 */
export function defineScript(redis: RedisClient, file: string, lua: string): Command {
  const dash = file.lastIndexOf("-");
  const name = `bindpool:${file.slice(0, dash)}:${contentVersion(lua)}`;
  const numberOfKeys = Number(file.slice(dash + 1));
  const target = redis as unknown as Record<string, Command>;
  if (typeof target[name] !== "function") redis.defineCommand(name, { numberOfKeys, lua });
  const command = target[name];
  if (command === undefined) throw new StoreError(`Could not register the Redis script ${file}`);
  return command.bind(redis);
}

/** `scripts/<file>.lua` (once per process). */
const standalone = new Map<string, string>();
export function scriptSource(file: string): string {
  let lua = standalone.get(file);
  if (lua === undefined) {
    lua = readScript(`${file}.lua`);
    standalone.set(file, lua);
  }
  return lua;
}

interface PendingWrite {
  readonly script: BatchedScript;
  readonly argv: (string | number)[];
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** Redis answers this to FCALL when the library is not loaded (new server, restart, FUNCTION FLUSH). */
const FUNCTION_NOT_FOUND = /Function not found/i;
/** A function's generation guard failed (`begin` in includes/call.lua). */
const STORE_LOST = /BINDPOOL_STORE_LOST (missing|generation|rollback)/;
/** A pool written with another key layout (includes/call.lua `LAYOUT`): found, then this library's. */
const STORE_LAYOUT = /BINDPOOL_STORE_LAYOUT (\S+) (\S+)/;

/** `[generation, recovering 1|0, fencing counter]`, and for upsertPool `created or rebuilt 1|0`. */
export type GenerationReply = [string, number, number, number?];

/**
 * The generation guard a store object sends with each call for a pool (`<generation>|<minToken>`, see
 * includes/call.lua), "" for none.
 */
export type GuardOf = (k: PoolKeys) => string;

/**
 * The pool scripts as Redis Functions (FCALL), loaded with FUNCTION LOAD REPLACE on first use and again
 * whenever a server answers "Function not found" (on a Cluster: on every master). Each method is the
 * only place its script's KEYS and ARGV are assembled.
 */
export class PoolScripts {
  private loading: Promise<void> | undefined;
  /** `redis.call`, typed to take the array arguments ioredis flattens. */
  private readonly send: (...args: unknown[]) => Promise<unknown>;
  /** Writes waiting for the end of this event-loop turn, per pool (key base). */
  private pending = new Map<string, { k: PoolKeys; writes: PendingWrite[] }>();

  /**
   * `maxBatch`: most writes of one pool sent in one script call (1: each write alone). `guardOf`: the
   * generation guard every call for a pool carries (checked inside the function, same atomic step).
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly maxBatch: number,
    private readonly guardOf: GuardOf = () => "",
  ) {
    this.send = redis.call.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  }

  /**
   * Modes' rules are passed in: `maxXPerUser` 0 = no limit; `pair`: B counts as a user of X. `generation`
   * is used if the call creates or rebuilds the pool; `minToken` is the caller's highest token seen.
   * `guarded`: false on the first call of an upsert (it accepts whatever state the pool is in).
   */
  upsertPool(
    k: PoolKeys,
    u: {
      mode: string;
      maxXPerUser: number;
      pair: boolean;
      generation: string;
      rebuild: boolean;
      minToken: number;
      numbers: readonly { x: string; city: string; province: string; capacity: number; digits: string }[];
    },
    guarded: boolean,
  ): Promise<GenerationReply | number> {
    const argv: (string | number)[] = [
      k.base,
      u.mode,
      u.maxXPerUser,
      u.pair ? 1 : 0,
      u.generation,
      u.rebuild ? 1 : 0,
      u.minToken,
    ];
    for (const n of u.numbers) argv.push(n.x, n.city, n.province, n.capacity, n.digits);
    return this.call("upsertPool-7", k, argv, guarded) as Promise<GenerationReply | number>;
  }

  /** Unguarded: it is how a store object accepts a pool's generation. */
  poolGeneration(k: PoolKeys): Promise<GenerationReply | number> {
    return this.call("poolGeneration-7", k, [k.base], false) as Promise<GenerationReply | number>;
  }

  finishRecovery(k: PoolKeys, generation: string): Promise<number> {
    return this.call("finishRecovery-7", k, [k.base, generation]) as Promise<number>;
  }

  /** `state`: a d q r; `quarantineUntilMs` 0 = until changed. */
  setNumberState(k: PoolKeys, x: string, state: string, quarantineUntilMs: number): Promise<number> {
    return this.write("setNumberState-7", k, [k.base, x, state, quarantineUntilMs]) as Promise<number>;
  }

  cooldown(k: PoolKeys, x: string, untilMs: number): Promise<number> {
    return this.write("cooldown-7", k, [k.base, x, untilMs]) as Promise<number>;
  }

  reserve(
    k: PoolKeys,
    r: {
      orderKey: string;
      a: string;
      b: string;
      leaseMs: number;
      nowMs: number;
      strategy: "l" | "p";
      match: "" | "s" | "l";
      city: string;
      province: string;
      wakeLimit: number;
      /** The X to reserve, "" to pick one. */
      x: string;
      /** The X the pair used before, "" none. */
      preferX: string;
      /** AXE, with x: the extension to take, "" the lowest free one. */
      extension: string;
      /** AXYB, with x: the Y to reserve with it. */
      y: string;
      exclude: readonly string[];
    },
  ): Promise<ReserveReply> {
    return this.write("reserve-7", k, [
      k.base,
      r.orderKey,
      r.a,
      r.b,
      r.leaseMs,
      r.nowMs,
      r.strategy,
      r.match,
      r.city,
      r.province,
      r.wakeLimit,
      r.x,
      r.preferX,
      r.extension,
      r.y,
      `${hashHint(r.orderKey)},${hashHint(r.a)},${r.b === "" ? "" : hashHint(r.b)}`,
      ...r.exclude,
    ]) as Promise<ReserveReply>;
  }

  confirm(
    k: PoolKeys,
    orderKey: string,
    token: number,
    subscriptionId: string,
    untilMs: number,
    nowMs: number,
    adopt: boolean,
  ): Promise<number> {
    return this.write("confirm-7", k, [
      k.base,
      orderKey,
      token,
      subscriptionId,
      untilMs,
      nowMs,
      adopt ? 1 : 0,
      hashHint(orderKey),
    ]) as Promise<number>;
  }

  /** `token` undefined: release whatever entry the orderKey has. */
  release(k: PoolKeys, orderKey: string, token: number | undefined): Promise<number> {
    return this.write("release-7", k, [k.base, orderKey, token ?? "", hashHint(orderKey)]) as Promise<number>;
  }

  extend(k: PoolKeys, orderKey: string, token: number, untilMs: number): Promise<number> {
    return this.write("extend-7", k, [k.base, orderKey, token, untilMs]) as Promise<number>;
  }

  markReleasing(k: PoolKeys, orderKey: string, token: number, retryAtMs: number): Promise<number> {
    return this.write("markReleasing-7", k, [k.base, orderKey, token, retryAtMs]) as Promise<number>;
  }

  changeB(k: PoolKeys, orderKey: string, token: number, b: string): Promise<number> {
    return this.write("changeB-7", k, [k.base, orderKey, token, b]) as Promise<number>;
  }

  settleB(k: PoolKeys, orderKey: string, token: number, b: string): Promise<number> {
    return this.write("settleB-7", k, [k.base, orderKey, token, b]) as Promise<number>;
  }

  swap(k: PoolKeys, orderKeyA: string, orderKeyB: string): Promise<number> {
    return this.write("swap-7", k, [k.base, orderKeyA, orderKeyB]) as Promise<number>;
  }

  getEntries(k: PoolKeys, orderKeys: readonly string[]): Promise<EntryRows | number> {
    return this.call("getEntries-7", k, [k.base, ...orderKeys]) as Promise<EntryRows | number>;
  }

  /** `[more (1: a budget stopped the walk), ...rows]` (see `expiredEntries-7.lua`). */
  expiredEntries(k: PoolKeys, nowMs: number, limit: number): Promise<[number, ...EntryRows]> {
    return this.call("expiredEntries-7", k, [k.base, nowMs, limit]) as Promise<[number, ...EntryRows]>;
  }

  /** One page of entries: `[next bucket (-1: done), ...rows]` (see `entriesPage-7.lua`). */
  entriesPage(k: PoolKeys, firstBucket: number, buckets: number): Promise<[number, ...EntryRows]> {
    return this.call("entriesPage-7", k, [k.base, firstBucket, buckets]) as Promise<[number, ...EntryRows]>;
  }

  /** `[mode ("" no pool), reserved, bound, ...packed number records]`. */
  /** One X's load, or `CODE.unknownNumber` (see `getLoad-7.lua`). */
  getLoad(k: PoolKeys, x: string): Promise<number> {
    return this.call("getLoad-7", k, [k.base, x]) as Promise<number>;
  }

  getNumbers(k: PoolKeys): Promise<[string, number, number, ...string[]]> {
    return this.call("getNumbers-7", k, [k.base]) as Promise<[string, number, number, ...string[]]>;
  }

  /**
   * A pool write. Writes to one pool started in the same event-loop turn go to Redis together, in the
   * order they were started, as one `batch` call (at most `maxBatch` per call): one round trip and one
   * script call's fixed costs for all of them. A lone write goes as its own call, one turn later.
   */
  private write(script: BatchedScript, k: PoolKeys, argv: (string | number)[]): Promise<unknown> {
    if (this.maxBatch <= 1) return this.call(script, k, argv);
    return new Promise((resolve, reject) => {
      // The first write of this turn schedules the flush (it empties `pending`).
      if (this.pending.size === 0) setImmediate(() => this.flush());
      let pool = this.pending.get(k.base);
      if (pool === undefined) {
        pool = { k, writes: [] };
        this.pending.set(k.base, pool);
      }
      pool.writes.push({ script, argv, resolve, reject });
    });
  }

  private flush(): void {
    const pools = this.pending;
    this.pending = new Map();
    for (const { k, writes } of pools.values()) {
      for (let i = 0; i < writes.length; i += this.maxBatch) {
        void this.sendBatch(k, writes.slice(i, i + this.maxBatch));
      }
    }
  }

  private async sendBatch(k: PoolKeys, writes: PendingWrite[]): Promise<void> {
    if (writes.length === 1) {
      const w = writes[0]!;
      return this.call(w.script, k, w.argv).then(w.resolve, w.reject);
    }
    // Per write: its name, its argument count, its arguments after the shared key base (ARGV[1]).
    const argv: (string | number)[] = [k.base];
    for (const w of writes) argv.push(verbNoun(w.script), w.argv.length - 1, ...w.argv.slice(1));
    let replies: unknown[];
    try {
      replies = (await this.call("batch-7", k, argv)) as unknown[];
    } catch (err) {
      for (const w of writes) w.reject(err);
      return;
    }
    writes.forEach((w, i) => {
      const reply = replies[i];
      if (reply instanceof Error) {
        w.reject(new StoreError(`Redis script ${w.script} failed: ${reply.message}`, { cause: reply }));
      } else {
        w.resolve(reply);
      }
    });
  }

  /** `guarded`: ARGV[1] carries the store object's generation guard for the pool (see `GuardOf`). */
  private async call(
    script: PoolScript | "batch-7",
    k: PoolKeys,
    argv: (string | number)[],
    guarded = true,
  ): Promise<unknown> {
    const name = functionName(script);
    const guard = guarded ? this.guardOf(k) : "";
    if (guard !== "") argv = [k.base + guard, ...argv.slice(1)];
    try {
      try {
        // ioredis flattens array arguments; passing arrays avoids spreading long ARGV lists onto the stack.
        return await this.send("FCALL", name, 7, k.fixed, argv);
      } catch (err) {
        if (!FUNCTION_NOT_FOUND.test((err as Error).message)) throw err;
        await this.load();
        return await this.send("FCALL", name, 7, k.fixed, argv);
      }
    } catch (err) {
      const message = (err as Error).message;
      const lost = STORE_LOST.exec(message);
      if (lost !== null) throw new StoreLostError(k.pool, lost[1] as StoreLostReason);
      const layout = STORE_LAYOUT.exec(message);
      if (layout !== null) {
        throw new StoreError(
          `Pool "${k.pool}" at ${k.base} was written with Redis key layout ${layout[1]}; this @bindpool/redis ` +
            `reads and writes layout ${layout[2]} and refuses to touch it. Run this version on a new \`prefix\` ` +
            "(its pools start recovering and are rebuilt from the platform), or let the old version finish first.",
          { cause: err },
        );
      }
      if (/unknown command .?fcall/i.test(message)) {
        throw new StoreError(
          `RedisStore needs Redis >= 7.0 (Redis Functions); the server answered: ${message}`,
          {
            cause: err,
          },
        );
      }
      throw new StoreError(`Redis script ${script} failed: ${message}`, { cause: err });
    }
  }

  /** Loads the library on the server (every master of a Cluster); concurrent callers share one load. */
  private load(): Promise<void> {
    if (this.loading === undefined) {
      const lib = poolLibrary().source;
      const redis = this.redis;
      const targets = redis.isCluster && redis.nodes !== undefined ? redis.nodes("master") : [redis];
      this.loading = Promise.all(targets.map((n) => n.call("FUNCTION", "LOAD", "REPLACE", lib))).then(
        () => {
          this.loading = undefined;
        },
        (err) => {
          this.loading = undefined;
          throw err;
        },
      );
    }
    return this.loading;
  }
}
