import { StoreRecoveringError, ValidationError } from "../errors/index.js";
import {
  DEFAULT_EXTENSION_DIGITS,
  type Entry,
  type Mode,
  type NumberState,
  type Phone,
} from "../model/index.js";
import { entryNumbersOf, entryUsersOf, MODE_RULES, takesBinds, usersOf } from "../rules/index.js";
import { Extensions, formatExtension, parseExtension } from "./extensions.js";
import { GenerationGuard, newGeneration } from "./generation.js";
import { IndexKind, LoadIndex } from "./load-index.js";
import { hold, type Pool, rungs, sync, unhold, unindex, wake } from "./memory-pool.js";
import { MinHeap } from "./min-heap.js";
import type {
  ConfirmRequest,
  NumberLoad,
  PoolGeneration,
  PoolStats,
  ReserveRequest,
  ReserveResult,
  Store,
  StoredNumber,
  UpsertPoolOptions,
} from "./types.js";

export interface MemoryStoreOptions {
  /** First fencing token handed out in a pool. @default 1 */
  readonly firstToken?: number;
  /** Makes a pool's generation id (the deterministic simulation passes a seeded one). @default random */
  readonly generationId?: () => string;
}

/** The data every store object made by `connect` shares: what a Redis server holds. */
interface Shared {
  readonly pools: Map<string, Pool>;
  readonly firstToken: number;
  readonly generationId: () => string;
}

/**
 * The embedded store: one process, no dependencies, same semantics as the Redis store. Reserve walks a
 * load-bucketed index, so its cost does not grow with the pool.
 */
export class MemoryStore implements Store {
  /** Not readonly: `connect` points another object at this one's data. */
  private shared: Shared;
  /** What this store object accepted per pool (see `Store`): a second process keeps its own. */
  private readonly guard = new GenerationGuard();

  constructor(options: MemoryStoreOptions = {}) {
    this.shared = {
      pools: new Map(),
      firstToken: options.firstToken ?? 1,
      generationId: options.generationId ?? newGeneration,
    };
  }

  private get pools(): Map<string, Pool> {
    return this.shared.pools;
  }

  /**
   * Another store object on the same data, as a second process on the same Redis: it shares the pools and
   * keeps its own accepted generations and highest tokens seen.
   */
  connect(): MemoryStore {
    const other = new MemoryStore();
    other.shared = this.shared;
    return other;
  }

  /**
   * Test hook: drops every pool's state, as a Redis restart without persistence would. Every store object
   * keeps what it accepted, so its next call for a pool throws `StoreLostError` (`missing`).
   */
  loseData(): void {
    this.shared.pools.clear();
  }

  /**
   * The pool for a call, after the generation check (see `Store`): undefined when the store has no such
   * pool and this object accepted none.
   */
  private live(pool: string): Pool | undefined {
    const p = this.pools.get(pool);
    this.guard.check(pool, p && { generation: p.generation, counter: p.tok });
    return p;
  }

  async upsertPool(
    pool: string,
    mode: Mode,
    numbers: readonly StoredNumber[],
    options: UpsertPoolOptions = {},
  ): Promise<PoolGeneration> {
    let p = this.pools.get(pool);
    let fresh = false;
    if (p !== undefined && p.mode !== mode) {
      throw new ValidationError(`Pool "${pool}" is a ${p.mode} pool; it cannot be upserted as ${mode}.`);
    }
    if (p !== undefined && options.rebuild === true) {
      p.generation = this.shared.generationId();
      p.recovering = true;
      p.tok = Math.max(p.tok, this.guard.maxToken(pool));
      fresh = true;
    }
    if (p !== undefined) {
      this.guard.accept(pool, p.generation, p.tok, fresh);
    } else {
      fresh = true;
      p = {
        mode,
        generation: this.shared.generationId(),
        recovering: true,
        tok: Math.max(this.shared.firstToken - 1, this.guard.maxToken(pool)),
        numbers: new Map(),
        entries: new Map(),
        held: new Map(),
        cityProvince: new Map(),
        all: new LoadIndex(IndexKind.pool),
        byCity: new Map(),
        byProvince: new Map(),
        wakeUps: new MinHeap(),
        deadlines: new MinHeap(),
      };
      this.pools.set(pool, p);
      this.guard.accept(pool, p.generation, p.tok, fresh);
    }
    for (const n of numbers) {
      let rec = p.numbers.get(n.x);
      if (rec === undefined) {
        rec = {
          x: n.x,
          city: n.city,
          province: n.province,
          capacity: n.capacity,
          load: 0,
          state: "active",
          quarantineUntilMs: 0,
          cooldownUntilMs: 0,
          indexedLoad: undefined,
          slots: [-1, -1, -1],
          digits: n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS,
          extensions: mode === "AXE" ? new Extensions() : undefined,
        };
        p.numbers.set(n.x, rec);
      } else {
        unindex(p, rec);
        rec.city = n.city;
        rec.province = n.province;
        rec.capacity = n.capacity;
        rec.digits = n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS;
      }
      if (n.city !== undefined && n.province !== undefined) p.cityProvince.set(n.city, n.province);
      sync(p, rec);
    }
    return { generation: p.generation, recovering: p.recovering };
  }

  async poolGeneration(pool: string): Promise<PoolGeneration | undefined> {
    const p = this.pools.get(pool);
    if (p === undefined) return undefined;
    this.guard.accept(pool, p.generation, p.tok, false);
    return { generation: p.generation, recovering: p.recovering };
  }

  async finishRecovery(pool: string, generation: string): Promise<boolean> {
    const p = this.live(pool);
    if (p === undefined || p.generation !== generation) return false;
    p.recovering = false;
    return true;
  }

  async setNumberState(pool: string, x: Phone, state: NumberState, untilMs?: number): Promise<void> {
    const p = this.live(pool);
    const rec = p?.numbers.get(x);
    if (p === undefined || rec === undefined) return;
    rec.state = state;
    rec.quarantineUntilMs = state === "quarantined" && untilMs !== undefined ? untilMs : 0;
    if (rec.quarantineUntilMs > 0) p.wakeUps.push({ at: rec.quarantineUntilMs, x });
    sync(p, rec);
  }

  async cooldown(pool: string, x: Phone, untilMs: number): Promise<void> {
    const p = this.live(pool);
    const rec = p?.numbers.get(x);
    if (p === undefined || rec === undefined || untilMs <= rec.cooldownUntilMs) return;
    rec.cooldownUntilMs = untilMs;
    p.wakeUps.push({ at: untilMs, x });
    sync(p, rec);
  }

  async reserve(req: ReserveRequest): Promise<ReserveResult> {
    const p = this.live(req.pool);
    if (p === undefined) return { ok: false, reason: "exhausted" };
    const existing = p.entries.get(req.orderKey);
    if (existing !== undefined) {
      this.guard.saw(req.pool, existing.token);
      return { ok: true, entry: existing, existing: true };
    }
    // Recovering: the platform may hold a binding the store lost, so only adopting one (x) may reserve.
    if (p.recovering && req.x === undefined) return { ok: false, reason: "recovering" };

    wake(p, req.nowMs);
    const users = usersOf(p.mode, req.a, req.b);
    const heldSets = users.map((u) => p.held.get(u));
    const limit = MODE_RULES[p.mode].maxXPerUser;
    if (heldSets.some((s) => s !== undefined && s.size >= limit)) return { ok: false, reason: "userLimit" };

    const usable = (x: Phone) => !req.exclude.includes(x) && !heldSets.some((s) => s?.has(x));
    let picked: Phone | undefined;
    // AXYB: Y, picked after X by the same rules among the other numbers (see `Store.reserve`).
    let pickedY: Phone | undefined;
    const wantedExtension = req.x === undefined ? undefined : parseExtension(req.extension);
    const fits = (x: Phone | undefined) => {
      const n = x === undefined ? undefined : p.numbers.get(x);
      return n !== undefined && n.load < n.capacity && usable(n.x);
    };
    if (req.x !== undefined) {
      const forced = p.numbers.get(req.x);
      const extensionFree = wantedExtension === undefined || !forced?.extensions?.has(wantedExtension);
      const yFits = p.mode !== "AXYB" || (req.y !== req.x && fits(req.y));
      if (fits(req.x) && extensionFree && yFits) {
        picked = req.x;
        if (p.mode === "AXYB") pickedY = req.y;
      }
    } else {
      // Sticky: the pair's earlier X when it takes binds now (indexed) and suits the pair and the area.
      const preferred = req.preferX === undefined ? undefined : p.numbers.get(req.preferX);
      if (
        preferred?.indexedLoad !== undefined &&
        usable(preferred.x) &&
        (req.area?.match !== "strict" || preferred.city === req.area.city)
      ) {
        picked = preferred.x;
      } else {
        const ascending = req.strategy.name === "leastLoaded";
        for (const index of rungs(p, req.area)) {
          picked = index.find(ascending, usable)?.x;
          if (picked !== undefined) break;
        }
      }
      if (picked !== undefined && p.mode === "AXYB") {
        const x = picked;
        const ascending = req.strategy.name === "leastLoaded";
        for (const index of rungs(p, req.area)) {
          pickedY = index.find(ascending, (y) => y !== x && usable(y))?.x;
          if (pickedY !== undefined) break;
        }
      }
    }
    if (picked === undefined || (p.mode === "AXYB" && pickedY === undefined)) {
      return { ok: false, reason: "exhausted" };
    }
    const rec = p.numbers.get(picked)!;
    // AXE: X's load is below its capacity, which is at most its extension space, so one is free.
    const extension = rec.extensions?.take(wantedExtension);

    const entry: Entry = {
      pool: req.pool,
      orderKey: req.orderKey,
      x: picked,
      a: req.a,
      b: p.mode === "AXB" || p.mode === "AXYB" ? req.b : undefined,
      token: ++p.tok,
      status: "reserved",
      untilMs: req.nowMs + req.leaseMs,
      ...(typeof extension === "number" ? { extension: formatExtension(extension, rec.digits) } : {}),
      ...(pickedY === undefined ? {} : { y: pickedY }),
    };
    p.entries.set(req.orderKey, entry);
    for (const n of entryNumbersOf(entry)) {
      const num = p.numbers.get(n)!;
      for (const u of users) hold(p, u, n);
      num.load++;
      sync(p, num);
    }
    p.deadlines.push({ at: entry.untilMs, orderKey: entry.orderKey, token: entry.token });
    this.guard.saw(req.pool, entry.token);
    return { ok: true, entry, existing: false };
  }

  async confirm(req: ConfirmRequest): Promise<"ok" | "lost"> {
    const p = this.live(req.pool);
    const e = p?.entries.get(req.orderKey);
    if (p === undefined || e === undefined || e.token !== req.token) return "lost";
    if (e.status === "bound") return e.subscriptionId === req.subscriptionId ? "ok" : "lost";
    if (e.status !== "reserved" || (e.untilMs <= req.nowMs && !req.adopt)) return "lost";
    const bound: Entry = { ...e, status: "bound", untilMs: req.untilMs, subscriptionId: req.subscriptionId };
    p.entries.set(req.orderKey, bound);
    p.deadlines.push({ at: bound.untilMs, orderKey: bound.orderKey, token: bound.token });
    return "ok";
  }

  async release(pool: string, orderKey: string, token?: number): Promise<"released" | "unknown" | "lost"> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (p === undefined || e === undefined) return "unknown";
    if (token !== undefined && e.token !== token) return "lost";
    p.entries.delete(orderKey);
    for (const n of entryNumbersOf(e)) {
      for (const u of entryUsersOf(p.mode, e)) unhold(p, u, n);
      const rec = p.numbers.get(n);
      if (rec === undefined) continue;
      const extension = parseExtension(e.extension);
      if (extension !== undefined) rec.extensions?.free(extension);
      rec.load--;
      sync(p, rec);
    }
    return "released";
  }

  async extend(pool: string, orderKey: string, token: number, untilMs: number): Promise<"ok" | "lost"> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (p === undefined || e === undefined || e.token !== token || e.status !== "bound") return "lost";
    p.entries.set(orderKey, { ...e, untilMs });
    p.deadlines.push({ at: untilMs, orderKey, token });
    return "ok";
  }

  async markReleasing(
    pool: string,
    orderKey: string,
    token: number,
    retryAtMs: number,
  ): Promise<"ok" | "lost"> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (p === undefined || e === undefined || e.token !== token) return "lost";
    p.entries.set(orderKey, { ...e, status: "releasing", untilMs: retryAtMs });
    p.deadlines.push({ at: retryAtMs, orderKey, token });
    return "ok";
  }

  async changeB(
    pool: string,
    orderKey: string,
    token: number,
    b: Phone,
  ): Promise<"ok" | "lost" | "conflict"> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (p === undefined || e === undefined || e.token !== token || e.status !== "bound" || p.mode !== "AXB") {
      return "lost";
    }
    if (e.b === b) return "ok";
    // One modify at a time: going back to the previous B swaps the two, both still held.
    if (e.previousB !== undefined) {
      if (b !== e.previousB) return "conflict";
    } else {
      if (e.a === b || p.held.get(b)?.has(e.x)) return "conflict";
      hold(p, b, e.x);
    }
    p.entries.set(orderKey, { ...e, b, previousB: e.b });
    return "ok";
  }

  async settleB(pool: string, orderKey: string, token: number, b: Phone): Promise<"ok" | "lost"> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (p === undefined || e === undefined || e.token !== token || e.status !== "bound" || p.mode !== "AXB") {
      return "lost";
    }
    if (b !== e.b && (e.previousB === undefined || b !== e.previousB)) return "lost";
    const freed = b === e.b ? e.previousB : e.b;
    if (freed !== undefined) unhold(p, freed, e.x);
    p.entries.set(orderKey, { ...e, b, previousB: undefined });
    return "ok";
  }

  async swap(pool: string, orderKeyA: string, orderKeyB: string): Promise<"ok" | "unknown"> {
    const p = this.live(pool);
    const a = p?.entries.get(orderKeyA);
    const b = p?.entries.get(orderKeyB);
    if (p === undefined || a === undefined || b === undefined) return "unknown";
    p.entries.set(orderKeyA, { ...b, orderKey: orderKeyA });
    p.entries.set(orderKeyB, { ...a, orderKey: orderKeyB });
    p.deadlines.push({ at: b.untilMs, orderKey: orderKeyA, token: b.token });
    p.deadlines.push({ at: a.untilMs, orderKey: orderKeyB, token: a.token });
    return "ok";
  }

  async get(pool: string, orderKey: string): Promise<Entry | undefined> {
    const p = this.live(pool);
    const e = p?.entries.get(orderKey);
    if (e !== undefined) this.guard.saw(pool, e.token);
    else if (p?.recovering) throw new StoreRecoveringError(pool);
    return e;
  }

  async expired(pool: string, nowMs: number, limit: number): Promise<Entry[]> {
    const p = this.live(pool);
    if (p === undefined) return [];
    const found: Entry[] = [];
    const keep: { at: number; orderKey: string; token: number }[] = [];
    const seen = new Set<string>();
    while (found.length < limit) {
      const top = p.deadlines.peek();
      if (top === undefined || top.at > nowMs) break;
      p.deadlines.pop();
      const e = p.entries.get(top.orderKey);
      if (e === undefined || e.token !== top.token || e.untilMs !== top.at) continue; // stale
      // A second item for the same deadline (e.g. markReleasing to the lease's own end) is a duplicate.
      if (seen.has(top.orderKey)) continue;
      seen.add(top.orderKey);
      found.push(e);
      keep.push(top);
    }
    for (const item of keep) p.deadlines.push(item);
    for (const e of found) this.guard.saw(pool, e.token);
    return found;
  }

  async stats(pool: string, nowMs: number): Promise<PoolStats> {
    const p = this.live(pool);
    const byState: Record<NumberState, number> = { active: 0, draining: 0, quarantined: 0, retired: 0 };
    if (p === undefined) {
      return { pool, mode: "AXB", numbers: 0, available: 0, reserved: 0, bound: 0, capacity: 0, byState };
    }
    let available = 0;
    let capacity = 0;
    for (const rec of p.numbers.values()) {
      byState[rec.state]++;
      if (rec.state !== "retired") capacity += rec.capacity;
      if (takesBinds(rec, nowMs)) available++;
    }
    let reserved = 0;
    for (const e of p.entries.values()) if (e.status === "reserved") reserved++;
    return {
      pool,
      mode: p.mode,
      numbers: p.numbers.size,
      available,
      reserved,
      bound: p.entries.size - reserved,
      capacity,
      byState,
    };
  }

  async numbers(pool: string): Promise<NumberLoad[]> {
    const p = this.live(pool);
    if (p === undefined) return [];
    return [...p.numbers.values()].map((r) => ({
      x: r.x,
      state: r.state,
      load: r.load,
      capacity: r.capacity,
      cooldownUntilMs: r.cooldownUntilMs,
    }));
  }

  async load(pool: string, x: Phone): Promise<number | undefined> {
    return this.live(pool)?.numbers.get(x)?.load;
  }

  async entries(pool: string): Promise<Entry[]> {
    const all = [...(this.live(pool)?.entries.values() ?? [])];
    for (const e of all) this.guard.saw(pool, e.token);
    return all;
  }
}
