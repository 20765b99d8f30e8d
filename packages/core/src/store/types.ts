import type { Entry, Mode, NumberState, Phone, Strategy } from "../model/index.js";

/** An X number as the store keeps it. */
export interface StoredNumber {
  readonly x: Phone;
  readonly city?: string | undefined;
  readonly province?: string | undefined;
  readonly capacity: number;
  /** AXE: X's extension length, 1-4 digits (the store pads the extensions it hands out to it). */
  readonly extensionDigits?: number | undefined;
}

export interface ReserveRequest {
  readonly pool: string;
  readonly orderKey: string;
  readonly a: Phone;
  /** AXB and AXYB only. */
  readonly b?: Phone | undefined;
  /** Area to match; absent: any X of the pool. */
  readonly area?:
    | { readonly city: string; readonly province?: string | undefined; readonly match: "strict" | "ladder" }
    | undefined;
  /** X numbers not to pick (they failed earlier in this allocation). */
  readonly exclude: readonly Phone[];
  readonly strategy: Strategy;
  /**
   * Reserve exactly this X (adopting a binding found at the platform): the pair's rules and X's capacity
   * still hold, but X's state, cooldown and the area are ignored.
   */
  readonly x?: Phone | undefined;
  /**
   * AXE, with `x`: the extension the platform's binding sits on. The reservation takes exactly this one
   * (`exhausted` when an entry of the pool holds it on X).
   */
  readonly extension?: string | undefined;
  /**
   * AXYB, with `x`: the Y of the platform's binding. Both numbers must fit (room, the pair's rules, X and
   * Y different); without `y` an AXYB adoption is `exhausted`.
   */
  readonly y?: Phone | undefined;
  /** Sticky pick: take this X when it is eligible for the pair (see `reserve`), else pick as usual. */
  readonly preferX?: Phone | undefined;
  /** How long the reservation holds X before it counts as abandoned. */
  readonly leaseMs: number;
  readonly nowMs: number;
}

export type ReserveResult =
  | {
      readonly ok: true;
      readonly entry: Entry /** true: the orderKey already had this entry */;
      readonly existing: boolean;
    }
  | {
      readonly ok: false;
      /**
       * `exhausted`: no X fits. `userLimit`: a user already holds the most X the mode allows.
       * `recovering`: the pool is being rebuilt (see {@link PoolGeneration}) and hands out no new X.
       */
      readonly reason: "exhausted" | "userLimit" | "recovering";
    };

export interface ConfirmRequest {
  readonly pool: string;
  readonly orderKey: string;
  readonly token: number;
  readonly subscriptionId: string;
  /** When the order expires. */
  readonly untilMs: number;
  readonly nowMs: number;
  /**
   * Adopt: confirm even when the lease has ended (the sweeper found the binding at the platform). The
   * token must still match and the entry must still be reserved.
   */
  readonly adopt?: boolean | undefined;
}

export interface PoolStats {
  readonly pool: string;
  readonly mode: Mode;
  readonly numbers: number;
  /** Numbers that take new binds now (active, not in cooldown). */
  readonly available: number;
  readonly reserved: number;
  readonly bound: number;
  /** Sum of the capacities of all numbers that are not retired. */
  readonly capacity: number;
  readonly byState: Readonly<Record<NumberState, number>>;
}

/** Load of one X, for invariant checks and dashboards. */
export interface NumberLoad {
  readonly x: Phone;
  readonly state: NumberState;
  readonly load: number;
  readonly capacity: number;
  readonly cooldownUntilMs: number;
}

/** Identity of a pool's state in the store. */
export interface PoolGeneration {
  /** Random; new whenever the pool's state is created: a new pool, or a rebuild (data loss, rollback). */
  readonly generation: string;
  /** From creation (or `rebuild`) until `finishRecovery`: the store may be missing platform bindings. */
  readonly recovering: boolean;
}

export interface UpsertPoolOptions {
  /**
   * Give the existing pool a new generation with `recovering` (after a rollback): entries and numbers stay,
   * the fencing counter never goes below a token this store object saw.
   */
  readonly rebuild?: boolean | undefined;
}

/**
 * Pool state shared by allocators. Everything is scoped by pool (orderKeys too), so a store can keep
 * each pool in one place (one Redis Cluster slot). Every method is one atomic step; implementations must agree with
 * `MemoryStore` and pass `@bindpool/store-tests`. Times are passed in (`nowMs`) so leases follow the
 * caller's clock.
 *
 * A store object knows when the store is not the store it was. Per pool it remembers the generation it
 * last accepted (`upsertPool`, `poolGeneration`) and the highest fencing token it saw (reserve answers,
 * entries read). Once it has accepted one, every other call for the pool checks in the same atomic step
 * that the pool still exists at that generation with a fencing counter not below that token, and else
 * throws `StoreLostError` (`missing`, `generation`, `rollback`) having changed nothing, until
 * `upsertPool` / `poolGeneration` accepts the new state. Before any generation is accepted there is no
 * check. While the pool is `recovering`, `reserve` without `x` of an orderKey with no entry answers
 * `recovering`, and `get` of an orderKey with no entry throws `StoreRecoveringError`.
 */
export interface Store {
  /**
   * Creates the pool or adds numbers to it. New numbers start `active` with load 0; existing numbers keep
   * their load and state and take the new city/province/capacity. A pool keeps the mode it was created
   * with: another mode throws. Records city -> province for the area ladder.
   *
   * Returns the pool's generation and accepts it. Creating the pool (absent before, e.g. after data loss)
   * creates a new generation with `recovering`; `rebuild` gives an existing pool one (after a rollback).
   * Creation and rebuild keep the fencing counter at or above every token this object saw. Without
   * `rebuild`, a pool at a generation this object left behind, or whose counter is below a token it saw,
   * is a rollback: throws `StoreLostError` (`rollback`) and accepts nothing.
   */
  upsertPool(
    pool: string,
    mode: Mode,
    numbers: readonly StoredNumber[],
    options?: UpsertPoolOptions,
  ): Promise<PoolGeneration>;
  /**
   * The pool's generation, undefined when the store has no such pool; accepts it. A rolled-back pool
   * (see `upsertPool`) throws `StoreLostError` (`rollback`): only `upsertPool` with `rebuild` accepts it.
   */
  poolGeneration(pool: string): Promise<PoolGeneration | undefined>;
  /** Ends recovery: recovering = false, if the pool is still at `generation` (true), else false. */
  finishRecovery(pool: string, generation: string): Promise<boolean>;
  /** Moves X to a state; `untilMs` on `quarantined` lifts the quarantine at that time. */
  setNumberState(pool: string, x: Phone, state: NumberState, untilMs?: number): Promise<void>;
  /** Keeps X out of picks until `untilMs` (after exhaustion answers). */
  cooldown(pool: string, x: Phone, untilMs: number): Promise<void>;

  /**
   * Picks an X that satisfies the mode rules for the pair and records a reservation leased until
   * `nowMs + leaseMs` with a fresh fencing token. Cost does not grow with pool size.
   *
   * - Idempotent per orderKey: when the orderKey already has an entry (reserved, bound, even with an
   *   ended lease) it is returned with `existing: true` and nothing changes, whatever the pair.
   * - Eligible X: state `active` (or `quarantined` whose `untilMs` has passed), cooldown over
   *   (`cooldownUntilMs <= nowMs`), load below capacity, not in `exclude`, and no user of the pair
   *   already on it (`usersOf`: AXB and AXYB a and b, AX and AXE a).
   * - AXE: the reservation also takes an extension of X that no entry of the pool holds: the lowest free
   *   one (from 1), zero-padded to X's `extensionDigits`; release frees it.
   * - AXYB: the reservation takes two numbers, X then Y, in the same step: X is picked as above, then Y
   *   the same way (same rungs, strategy, exclude and pair rules) among the numbers other than X; the
   *   entry counts in the load of both and A and B are held on both. No Y: `exhausted`, nothing held.
   *   `preferX` is about X only. Release frees both.
   * - `userLimit` first: when a user of the pair already holds `MODE_RULES[mode].maxXPerUser` X (AX: 5).
   * - Area: none = any X of the pool. `strict` = only X whose city is `area.city`. `ladder` = the city
   *   first; if no X there is eligible, X of the province (`area.province`, else the province recorded
   *   for that city by `upsertPool`); then any X.
   * - Among the eligible X of a rung, `leastLoaded` picks one with the lowest load, `pack` one with the
   *   highest load; ties are broken any way the store likes.
   * - `preferX` (sticky): picked before any rung when it is eligible and, with a `strict` area, in the
   *   city (a `ladder` accepts it from any rung); otherwise ignored.
   * - Unknown pool: `exhausted`.
   */
  reserve(req: ReserveRequest): Promise<ReserveResult>;
  /**
   * Turns the reservation into a binding expiring at `untilMs`. `lost` when there is no reservation with
   * that token or its lease ended (`untilMs <= nowMs`). Confirming again with the same token and
   * subscriptionId answers `ok`.
   */
  confirm(req: ConfirmRequest): Promise<"ok" | "lost">;
  /**
   * Frees the orderKey's entry and its X slot (every user it holds there, a pending previousB too). With a
   * token, only if the token matches (else `lost`).
   * `unknown` when the orderKey has no entry.
   */
  release(pool: string, orderKey: string, token?: number): Promise<"released" | "unknown" | "lost">;
  /** Moves the expiry of a bound entry (order extended). `lost` when it is not bound with that token. */
  extend(pool: string, orderKey: string, token: number, untilMs: number): Promise<"ok" | "lost">;
  /**
   * Marks the entry `releasing` (its unbind is pending) with the next retry at `retryAtMs`; X and the users
   * stay held. Works on reserved, bound and releasing entries. `lost` when the token does not match.
   */
  markReleasing(pool: string, orderKey: string, token: number, retryAtMs: number): Promise<"ok" | "lost">;
  /**
   * Gives a bound AXB entry a new B on the same X (before the platform's modify), keeping the old B held too
   * (`previousB`) until `settleB`. `ok` also when b is already the entry's B. While a previousB is pending,
   * b = previousB swaps the two (both stay held) and any other b answers `conflict`. `conflict` when b is A
   * or another entry holds b on X; `lost` when the entry is not bound with that token.
   */
  changeB(pool: string, orderKey: string, token: number, b: Phone): Promise<"ok" | "lost" | "conflict">;
  /**
   * Ends a changeB once the platform answered: keeps `b` (the entry's B or its previousB) as the entry's B
   * and frees the other from X. `ok` also when nothing is pending and b is the entry's B; `lost` when the
   * entry is not bound with that token or b is neither of its Bs.
   */
  settleB(pool: string, orderKey: string, token: number, b: Phone): Promise<"ok" | "lost">;
  /**
   * Swaps the entries of two orderKeys (each keeps its X, users, token and status; only the keys trade
   * places). `unknown` when either has no entry. Used to move an order to a new binding in one step.
   */
  swap(pool: string, orderKeyA: string, orderKeyB: string): Promise<"ok" | "unknown">;

  /**
   * The entry of an orderKey, reserved or bound. While the pool is recovering, an orderKey with no entry
   * throws `StoreRecoveringError`: the store cannot say the order is unknown.
   */
  get(pool: string, orderKey: string): Promise<Entry | undefined>;
  /**
   * Up to `limit` entries whose `untilMs` is at or before `nowMs`, oldest first: ended leases, ended
   * orders and due unbind retries.
   */
  expired(pool: string, nowMs: number, limit: number): Promise<Entry[]>;
  stats(pool: string, nowMs: number): Promise<PoolStats>;
  /** Every X of the pool with its load. O(pool): for checks and dashboards, never on the hot path. */
  numbers(pool: string): Promise<NumberLoad[]>;
  /**
   * X's load alone (undefined: X is not in the pool), in O(1): for polls such as `drain`. Optional: a
   * store without it is read through `numbers`.
   */
  load?(pool: string, x: Phone): Promise<number | undefined>;
  /** Every entry of the pool. O(entries): for checks, reconciliation and dashboards. */
  entries(pool: string): Promise<Entry[]>;
  close?(): Promise<void>;
}
