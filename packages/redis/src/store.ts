import {
  type ConfirmRequest,
  DEFAULT_EXTENSION_DIGITS,
  type Entry,
  GenerationGuard,
  MODE_RULES,
  type Mode,
  ModeSchema,
  type NumberLoad,
  type NumberState,
  newGeneration,
  type Phone,
  type PoolGeneration,
  type PoolStats,
  type ReserveRequest,
  type ReserveResult,
  type Store,
  type StoredNumber,
  StoreError,
  StoreRecoveringError,
  takesBinds,
  type UpsertPoolOptions,
  ValidationError,
} from "@bindpool/core";
import { decodeEntry, decodeEntryRows, decodeNumberRecord, stateLetter } from "./entry-codec.js";
import { PoolKeys } from "./keys.js";
import { scriptCodeName } from "./script-codes.js";
import { type GenerationReply, PoolScripts, type RedisClient } from "./scripts.js";

/** Numbers per `upsertPool` script call. */
const UPSERT_BATCH = 2_000;

/** Most script calls of one `expired`, each setting right up to 256 stale expiry bounds. */
const EXPIRED_CALLS = 64;

/** Entry buckets per `entries` script call: about 100 entries, a fraction of a millisecond of Redis time. */
const ENTRY_PAGE_BUCKETS = 2;

export interface RedisStoreOptions {
  /** An ioredis client: standalone, Sentinel (through ioredis options) or `Cluster`. The store never closes it. */
  readonly redis: RedisClient;
  /** First part of every key (`<prefix>:{<pool>}:...`). @default "bp" */
  readonly prefix?: string;
  /** Most cooled-down X one reserve brings back into the load indexes (bounds the cost of a reserve). @default 64 */
  readonly wakeLimit?: number;
  /**
   * Most writes to one pool sent in one script call. Writes that callers start in the same event-loop
   * turn (reserve, confirm, release, ...) go to Redis together as one atomic call, in the order they were
   * started, each answered as if it ran alone: under load this saves a round trip and a script call's
   * fixed costs per write. 1 sends every write on its own. Smaller batches keep several calls in flight
   * (Node and Redis work at the same time); larger ones save more per-call cost and hold Redis longer
   * per call (~50 µs per write). @default 8
   */
  readonly maxBatch?: number;
}

/**
 * The shared store: every state change is one Lua script call (one round trip, atomic, no lock; writes
 * started together share one call, see `maxBatch`), and a pick reads a bounded window of a load-ordered
 * index, so its cost does not depend on the pool size.
 */
export class RedisStore implements Store {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly wakeLimit: number;
  private readonly scripts: PoolScripts;
  private readonly keyCache = new Map<string, PoolKeys>();
  /** What this store object accepted per pool; every script call for the pool carries it (see `Store`). */
  private readonly guard = new GenerationGuard();

  constructor(options: RedisStoreOptions) {
    const redis = (options as Partial<RedisStoreOptions> | undefined)?.redis as unknown;
    if (
      redis === null ||
      typeof redis !== "object" ||
      typeof (redis as { hget?: unknown }).hget !== "function"
    ) {
      throw new ValidationError(
        `RedisStore needs \`redis\`: an ioredis Redis or Cluster instance (got ${typeof redis === "string" ? "a string; pass new Redis(url)" : typeof redis}).`,
      );
    }
    const prefix = options.prefix ?? "bp";
    if (!/^[^{}\s]{1,64}$/.test(prefix)) {
      throw new ValidationError(
        `RedisStore \`prefix\` must be 1-64 characters without braces or spaces, got ${JSON.stringify(prefix)}.`,
      );
    }
    const wakeLimit = options.wakeLimit ?? 64;
    if (!Number.isInteger(wakeLimit) || wakeLimit < 1) {
      throw new ValidationError(`RedisStore \`wakeLimit\` must be a positive integer, got ${wakeLimit}.`);
    }
    const maxBatch = options.maxBatch ?? 8;
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1_000) {
      throw new ValidationError(
        `RedisStore \`maxBatch\` must be an integer from 1 to 1000, got ${maxBatch}.`,
      );
    }
    this.redis = options.redis;
    this.prefix = prefix;
    this.wakeLimit = wakeLimit;
    this.scripts = new PoolScripts(this.redis, maxBatch, (k) => {
      const expected = this.guard.expectation(k.pool);
      return expected === undefined ? "" : `${expected.generation}|${expected.minToken}`;
    });
  }

  /**
   * Key names of a pool (cached: pools are few), after checking the orderKeys a call names: an entry's
   * bucket keeps its subscriptionId under U+0001 + orderKey, so no orderKey may start with U+0001 (core's
   * own keys start with U+0000, a caller's hold no control characters at all).
   */
  keys(pool: string, ...orderKeys: string[]): PoolKeys {
    for (const orderKey of orderKeys) {
      if (orderKey.charCodeAt(0) === 1) {
        throw new ValidationError(`An orderKey cannot start with U+0001, got ${JSON.stringify(orderKey)}.`);
      }
    }
    let k = this.keyCache.get(pool);
    if (k === undefined) {
      if (pool.includes("{") || pool.includes("}")) {
        throw new ValidationError(`A pool id cannot contain braces, got ${JSON.stringify(pool)}.`);
      }
      k = new PoolKeys(this.prefix, pool);
      this.keyCache.set(pool, k);
    }
    return k;
  }

  async upsertPool(
    pool: string,
    mode: Mode,
    numbers: readonly StoredNumber[],
    options: UpsertPoolOptions = {},
  ): Promise<PoolGeneration> {
    const rules = MODE_RULES[ModeSchema.parse(mode)];
    const limit = Number.isFinite(rules.maxXPerUser) ? rules.maxXPerUser : 0;
    const k = this.keys(pool);
    let accepted: PoolGeneration | undefined;
    // Big pools go in batches, each one atomic script call, so Redis is never blocked for long. The first
    // creates (or rebuilds) the pool and accepts its generation; the others are checked against it.
    for (let i = 0; i === 0 || i < numbers.length; i += UPSERT_BATCH) {
      const first = accepted === undefined;
      const batch = numbers.slice(i, i + UPSERT_BATCH);
      const reply = await this.scripts.upsertPool(
        k,
        {
          mode,
          maxXPerUser: limit,
          pair: rules.needsB,
          generation: newGeneration(),
          rebuild: first && options.rebuild === true,
          minToken: this.guard.maxToken(pool),
          numbers: batch.map((n) => ({
            x: n.x,
            city: n.city ?? "",
            province: n.province ?? "",
            capacity: n.capacity,
            digits: mode === "AXE" ? String(n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS) : "",
          })),
        },
        !first,
      );
      if (typeof reply === "number") {
        if (scriptCodeName(reply) !== "modeMismatch") {
          throw new StoreError(`Redis script upsertPool answered ${reply}`);
        }
        const existing = await this.read(() => this.redis.hget(k.meta, "mode"));
        throw new ValidationError(`Pool "${pool}" is a ${existing} pool; it cannot be upserted as ${mode}.`);
      }
      if (first) accepted = this.accept(pool, reply);
    }
    return accepted!;
  }

  async poolGeneration(pool: string): Promise<PoolGeneration | undefined> {
    const reply = await this.scripts.poolGeneration(this.keys(pool));
    return typeof reply === "number" ? undefined : this.accept(pool, reply);
  }

  async finishRecovery(pool: string, generation: string): Promise<boolean> {
    return (await this.scripts.finishRecovery(this.keys(pool), generation)) === 1;
  }

  private accept(pool: string, [generation, recovering, counter, fresh]: GenerationReply): PoolGeneration {
    this.guard.accept(pool, generation, Number(counter), fresh === 1);
    return { generation, recovering: recovering === 1 };
  }

  async setNumberState(pool: string, x: Phone, state: NumberState, untilMs?: number): Promise<void> {
    // Unknown pools and numbers are left alone, as in MemoryStore.
    await this.scripts.setNumberState(this.keys(pool), x, stateLetter(state), untilMs ?? 0);
  }

  async cooldown(pool: string, x: Phone, untilMs: number): Promise<void> {
    await this.scripts.cooldown(this.keys(pool), x, untilMs);
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const reply = await this.scripts.reserve(this.keys(req.pool, req.orderKey), {
      orderKey: req.orderKey,
      a: req.a,
      b: req.b ?? "",
      leaseMs: req.leaseMs,
      nowMs: req.nowMs,
      strategy: req.strategy.name === "pack" ? "p" : "l",
      match: req.area === undefined ? "" : req.area.match === "strict" ? "s" : "l",
      city: req.area?.city ?? "",
      province: req.area?.province ?? "",
      wakeLimit: this.wakeLimit,
      x: req.x ?? "",
      preferX: req.preferX ?? "",
      extension: (req.x !== undefined && req.extension && String(Number(req.extension))) || "",
      y: (req.x !== undefined && req.y) || "",
      exclude: req.exclude,
    });
    if (typeof reply === "number") {
      const code = scriptCodeName(reply);
      if (code === "userLimit") return { ok: false, reason: "userLimit" };
      if (code === "exhausted") return { ok: false, reason: "exhausted" };
      if (code === "recovering") return { ok: false, reason: "recovering" };
      throw new StoreError(`Redis script reserve answered ${reply}`);
    }
    const [kind, packed, x] = reply;
    const entry = decodeEntry(req.pool, req.orderKey, packed, x);
    this.guard.saw(req.pool, entry.token);
    return { ok: true, entry, existing: kind === 2 };
  }

  async confirm(req: ConfirmRequest): Promise<"ok" | "lost"> {
    const reply = await this.scripts.confirm(
      this.keys(req.pool, req.orderKey),
      req.orderKey,
      req.token,
      req.subscriptionId,
      req.untilMs,
      req.nowMs,
      req.adopt === true,
    );
    return reply === 1 ? "ok" : "lost";
  }

  async release(pool: string, orderKey: string, token?: number): Promise<"released" | "unknown" | "lost"> {
    const reply = await this.scripts.release(this.keys(pool, orderKey), orderKey, token);
    if (reply === 1) return "released";
    return scriptCodeName(reply) === "unknownOrder" ? "unknown" : "lost";
  }

  async extend(pool: string, orderKey: string, token: number, untilMs: number): Promise<"ok" | "lost"> {
    const reply = await this.scripts.extend(this.keys(pool, orderKey), orderKey, token, untilMs);
    return reply === 1 ? "ok" : "lost";
  }

  async markReleasing(
    pool: string,
    orderKey: string,
    token: number,
    retryAtMs: number,
  ): Promise<"ok" | "lost"> {
    const reply = await this.scripts.markReleasing(this.keys(pool, orderKey), orderKey, token, retryAtMs);
    return reply === 1 ? "ok" : "lost";
  }

  async changeB(
    pool: string,
    orderKey: string,
    token: number,
    b: Phone,
  ): Promise<"ok" | "lost" | "conflict"> {
    const reply = await this.scripts.changeB(this.keys(pool, orderKey), orderKey, token, b);
    if (reply === 1) return "ok";
    return scriptCodeName(reply) === "conflict" ? "conflict" : "lost";
  }

  async settleB(pool: string, orderKey: string, token: number, b: Phone): Promise<"ok" | "lost"> {
    const reply = await this.scripts.settleB(this.keys(pool, orderKey), orderKey, token, b);
    return reply === 1 ? "ok" : "lost";
  }

  async swap(pool: string, orderKeyA: string, orderKeyB: string): Promise<"ok" | "unknown"> {
    const reply = await this.scripts.swap(this.keys(pool, orderKeyA, orderKeyB), orderKeyA, orderKeyB);
    return reply === 1 ? "ok" : "unknown";
  }

  async get(pool: string, orderKey: string): Promise<Entry | undefined> {
    const reply = await this.scripts.getEntries(this.keys(pool, orderKey), [orderKey]);
    if (scriptCodeName(reply) === "recovering") throw new StoreRecoveringError(pool);
    return this.seen(pool, decodeEntryRows(pool, reply as string[]))[0];
  }

  /**
   * One script call reads a bounded number of expiry buckets (see `expiredEntries-7.lua`) and answers the
   * oldest due entries up to where it stopped. When a budget stopped it short of `limit` (releases leave
   * stale bounds, which the call sets right), another call reads on, up to {@link EXPIRED_CALLS}; each
   * answers a longer start of the same oldest-first list, so the last one is kept.
   */
  async expired(pool: string, nowMs: number, limit: number): Promise<Entry[]> {
    if (limit <= 0) return [];
    const k = this.keys(pool);
    for (let call = 1; ; call++) {
      const [more, ...rows] = await this.scripts.expiredEntries(k, nowMs, limit);
      if (more === 0 || rows.length >= 3 * limit || call === EXPIRED_CALLS) {
        return this.seen(pool, decodeEntryRows(pool, rows));
      }
    }
  }

  async stats(pool: string, nowMs: number): Promise<PoolStats> {
    const [mode, reserved, bound, ...records] = await this.scripts.getNumbers(this.keys(pool));
    const byState: Record<NumberState, number> = { active: 0, draining: 0, quarantined: 0, retired: 0 };
    let available = 0;
    let capacity = 0;
    for (const packed of records) {
      const r = decodeNumberRecord(packed);
      byState[r.state]++;
      if (r.state !== "retired") capacity += r.capacity;
      if (takesBinds(r, nowMs)) available++;
    }
    return {
      pool,
      // No pool (""): AXB, as MemoryStore answers.
      mode: ModeSchema.safeParse(mode).data ?? "AXB",
      numbers: records.length,
      available,
      reserved: Number(reserved ?? 0),
      bound: Number(bound ?? 0),
      capacity,
      byState,
    };
  }

  /** X's load: one script call reading two fields, whatever the pool's size. */
  async load(pool: string, x: Phone): Promise<number | undefined> {
    const reply = await this.scripts.getLoad(this.keys(pool), x);
    return scriptCodeName(reply) === "unknownNumber" ? undefined : reply;
  }

  async numbers(pool: string): Promise<NumberLoad[]> {
    const [, , , ...records] = await this.scripts.getNumbers(this.keys(pool));
    return records.map((packed) => {
      const r = decodeNumberRecord(packed);
      return {
        x: r.x,
        state: r.state,
        load: r.load,
        capacity: r.capacity,
        cooldownUntilMs: r.cooldownUntilMs,
      };
    });
  }

  /**
   * The ids of the pools in the store, sorted: a SCAN of the pools' meta keys (on a Cluster, of every
   * master). O(keys in Redis): for operator tools, not the hot path.
   */
  async poolIds(): Promise<string[]> {
    // `{` and `}` are plain characters in a SCAN pattern; the prefix's own glob characters are escaped.
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, "\\$&")}:{*}:meta`;
    const head = `${this.prefix}:{`;
    const nodes =
      this.redis.isCluster && this.redis.nodes !== undefined ? this.redis.nodes("master") : [this.redis];
    const ids = new Set<string>();
    for (const node of nodes) {
      let cursor = "0";
      do {
        const [next, keys] = (await this.read(() =>
          node.call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000),
        )) as [string, string[]];
        cursor = next;
        for (const key of keys) {
          const id = key.slice(head.length, -"}:meta".length);
          // `*` also matches across braces (`a}:x:{b`); a pool id has none.
          if (key.startsWith(head) && !/[{}]/.test(id)) ids.add(id);
        }
      } while (cursor !== "0");
    }
    return [...ids].sort();
  }

  /**
   * A pool as the app instances wrote it: its mode and numbers (area, capacity, AXE extension length);
   * undefined when the store has no such pool. O(pool): for operator tools that take pools from the store.
   */
  async readPool(pool: string): Promise<{ mode: Mode; numbers: StoredNumber[] } | undefined> {
    const [mode, , , ...records] = await this.scripts.getNumbers(this.keys(pool));
    const parsed = ModeSchema.safeParse(mode);
    if (!parsed.success || records.length === 0) return undefined;
    const numbers = records.map((packed) => {
      const { x, city, province, capacity, extensionDigits } = decodeNumberRecord(packed);
      return { x, city, province, capacity, extensionDigits };
    });
    return { mode: parsed.data, numbers };
  }

  /**
   * Every entry, read in pages of `ENTRY_PAGE_BUCKETS` buckets (about 50 entries each), one script call
   * per page: a million-entry pool never holds Redis for more than a page. Not one atomic snapshot: an
   * entry that changes meanwhile is read as it was when its page was read.
   */
  async entries(pool: string): Promise<Entry[]> {
    const k = this.keys(pool);
    const byKey = new Map<string, Entry>();
    for (let bucket = 0; bucket >= 0; ) {
      const [next, ...rows] = await this.scripts.entriesPage(k, bucket, ENTRY_PAGE_BUCKETS);
      // A bucket split between pages may show an entry twice: the later read is the newer.
      for (const e of decodeEntryRows(pool, rows)) byKey.set(e.orderKey, e);
      bucket = Number(next);
    }
    return this.seen(pool, [...byKey.values()]);
  }

  /** Notes the fencing tokens of entries read, for the rollback check. */
  private seen(pool: string, entries: Entry[]): Entry[] {
    for (const e of entries) this.guard.saw(pool, e.token);
    return entries;
  }

  private async read<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new StoreError(`Redis read failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
