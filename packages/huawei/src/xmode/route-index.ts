import {
  type Allocator,
  type Binding,
  type Entry,
  internalKey,
  type Phone,
  type Store,
} from "@bindpool/core";

/** Where a caller's call to X goes, as the store has it now. */
export type RouteLookup =
  | { readonly found: true; readonly pool: string; readonly entry: Entry }
  | { readonly found: false; readonly reason: "unknownX" | "unknownCaller" };

export interface RouteIndexStats {
  /** Lookups answered from the index (the order's entry read and checked). */
  readonly hits: number;
  /** Lookups the index could not answer at first. */
  readonly misses: number;
  /** Full reads of a pool's entries (`store.entries`). */
  readonly refreshes: number;
}

interface PoolIndex {
  /** `x + "\n" + user` -> orderKey of the entry that held the user on X when last seen. */
  readonly byUser: Map<string, string>;
  /** orderKey -> the keys it holds in `byUser`. */
  readonly byOrder: Map<string, { readonly x: Phone; readonly keys: readonly string[] }>;
}

type Change =
  | { readonly kind: "set"; readonly orderKey: string; readonly entry: Pick<Entry, "x" | "a" | "b"> }
  | { readonly kind: "drop"; readonly orderKey: string; readonly x?: Phone };

interface PoolState {
  index: PoolIndex;
  loaded: boolean;
  /** The refresh in flight; it read the store at some moment before now. */
  running?: Promise<void>;
  /** The refresh that starts after `running`: it reads the store after every miss waiting on it. */
  queued?: Promise<void>;
  /** Changes seen while `running` reads the store, applied again on top of what it read. */
  journal?: Change[];
}

const userKey = (x: Phone, user: Phone) => `${x}\n${user}`;

function emptyIndex(): PoolIndex {
  return { byUser: new Map(), byOrder: new Map() };
}

/**
 * Finds the entry that holds a caller on an X without scanning the pool per call. The store has no index
 * by (X, user), so each process keeps one: filled from `store.entries` on first use, kept current by this
 * allocator's events (allocated, reassigned, released, adopted, rebuilt). Every hit is checked against
 * the order's entry (`allocator.get`, one read), so an index made stale by another instance only costs a
 * miss. A miss is answered by a refresh that starts after the call arrived (`refreshOnMiss`), so an order
 * another instance allocated a moment ago is found; misses that arrive together share one refresh.
 */
export class RouteIndex {
  private readonly pools = new Map<string, PoolState>();
  private readonly unsubscribe: (() => void)[] = [];
  private hits = 0;
  private misses = 0;
  private refreshes = 0;

  constructor(
    private readonly allocator: Allocator,
    private readonly store: Store,
    private readonly poolIds: readonly string[],
    private readonly refreshOnMiss: boolean,
    private readonly onError: (error: unknown) => void,
  ) {
    for (const id of poolIds) this.pools.set(id, { index: emptyIndex(), loaded: false });
    const served = (pool: string) => this.pools.get(pool);
    this.unsubscribe.push(
      allocator.on("allocated", ({ binding }) => this.setFromBinding(served(binding.pool), binding)),
      allocator.on("reassigned", ({ pool, orderKey, binding }) => {
        const state = served(pool);
        if (state === undefined) return;
        // The rebind's second binding was made under an internal key and is the order's now.
        this.change(state, { kind: "drop", orderKey: internalKey("reassign", orderKey) });
        this.setFromBinding(state, binding);
      }),
      allocator.on("released", ({ pool, orderKey, x }) => {
        const state = served(pool);
        if (state !== undefined) this.change(state, { kind: "drop", orderKey, x });
      }),
      allocator.on("adopted", ({ pool, orderKey }) => {
        const state = served(pool);
        if (state === undefined) return;
        this.allocator.get(orderKey, pool).then((entry) => {
          if (entry !== undefined) this.change(state, { kind: "set", orderKey, entry });
        }, this.onError);
      }),
      allocator.on("rebuilt", ({ pool }) => {
        const state = served(pool);
        if (state !== undefined) this.refreshAfterNow(pool, state).catch(this.onError);
      }),
    );
  }

  /** The entry holding `caller` on `x`, read from the store now; or why there is none. */
  async find(x: Phone, caller: Phone): Promise<RouteLookup> {
    const pools = this.poolIds.filter((p) => this.allocator.hasNumber(x, p));
    if (pools.length === 0) return { found: false, reason: "unknownX" };
    /** Pools read in full after this call arrived: a miss there is final. */
    const fresh = new Set<string>();
    for (const pool of pools) {
      const state = this.pools.get(pool)!;
      if (!state.loaded) {
        await this.refreshAfterNow(pool, state);
        fresh.add(pool);
      }
      const entry = await this.read(pool, state, x, caller);
      if (entry !== undefined) {
        this.hits++;
        return { found: true, pool, entry };
      }
    }
    this.misses++;
    if (!this.refreshOnMiss) return { found: false, reason: "unknownCaller" };
    for (const pool of pools) {
      if (fresh.has(pool)) continue;
      const state = this.pools.get(pool)!;
      await this.refreshAfterNow(pool, state);
      const entry = await this.read(pool, state, x, caller);
      if (entry !== undefined) return { found: true, pool, entry };
    }
    return { found: false, reason: "unknownCaller" };
  }

  stats(): RouteIndexStats {
    return { hits: this.hits, misses: this.misses, refreshes: this.refreshes };
  }

  /** Stops following the allocator's events. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The index's entry for (x, caller), if the store still has it holding the caller on x. */
  private async read(pool: string, state: PoolState, x: Phone, caller: Phone): Promise<Entry | undefined> {
    const orderKey = state.index.byUser.get(userKey(x, caller));
    if (orderKey === undefined) return undefined;
    const entry = await this.allocator.get(orderKey, pool);
    if (entry !== undefined && entry.x === x && (entry.a === caller || entry.b === caller)) return entry;
    return undefined;
  }

  /** Resolves after a refresh of the pool that started after this call (one shared by all callers waiting). */
  private refreshAfterNow(pool: string, state: PoolState): Promise<void> {
    if (state.queued !== undefined) return state.queued;
    if (state.running === undefined) return this.startRefresh(pool, state);
    const queued = state.running
      .catch(() => {})
      .then(() => {
        state.queued = undefined;
        return this.startRefresh(pool, state);
      });
    state.queued = queued;
    return queued;
  }

  private startRefresh(pool: string, state: PoolState): Promise<void> {
    const journal: Change[] = [];
    state.journal = journal;
    const running = (async () => {
      this.refreshes++;
      const index = emptyIndex();
      for (const entry of await this.store.entries(pool)) setOrder(index, entry.orderKey, entry);
      for (const change of journal) apply(index, change);
      state.index = index;
      state.loaded = true;
    })().finally(() => {
      if (state.running === running) state.running = undefined;
      if (state.journal === journal) state.journal = undefined;
    });
    state.running = running;
    return running;
  }

  private setFromBinding(state: PoolState | undefined, binding: Binding): void {
    if (state === undefined) return;
    this.change(state, { kind: "set", orderKey: binding.orderKey, entry: binding });
  }

  private change(state: PoolState, change: Change): void {
    apply(state.index, change);
    state.journal?.push(change);
  }
}

function apply(index: PoolIndex, change: Change): void {
  if (change.kind === "set") {
    setOrder(index, change.orderKey, change.entry);
    return;
  }
  const held = index.byOrder.get(change.orderKey);
  if (held === undefined || (change.x !== undefined && held.x !== change.x)) return;
  dropOrder(index, change.orderKey);
}

function setOrder(index: PoolIndex, orderKey: string, entry: Pick<Entry, "x" | "a" | "b">): void {
  dropOrder(index, orderKey);
  const users = entry.b === undefined ? [entry.a] : [entry.a, entry.b];
  const keys = users.map((u) => userKey(entry.x, u));
  for (const key of keys) index.byUser.set(key, orderKey);
  index.byOrder.set(orderKey, { x: entry.x, keys });
}

function dropOrder(index: PoolIndex, orderKey: string): void {
  const held = index.byOrder.get(orderKey);
  if (held === undefined) return;
  for (const key of held.keys) if (index.byUser.get(key) === orderKey) index.byUser.delete(key);
  index.byOrder.delete(orderKey);
}
