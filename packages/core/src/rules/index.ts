import { type Mode, type NumberState, type Phone, PLATFORM_MAX_PAIRS_PER_X } from "../model/index.js";

/** What a mode allows, as data. Stores enforce these inside their atomic reserve step. */
export interface ModeRules {
  /** Default pairs (or A numbers) one X may carry. */
  readonly defaultCapacity: number;
  /** Whether a capacity other than the default is allowed. */
  readonly capacityConfigurable: boolean;
  /** Whether a binding names a B number. */
  readonly needsB: boolean;
  /** Most X numbers one user number may hold at once (Infinity: no limit). */
  readonly maxXPerUser: number;
}

export const MODE_RULES: Readonly<Record<Mode, ModeRules>> = {
  // One X carries up to 5000 pairs, but a user number appears at most once per X (platform 1012009/1012010).
  AXB: {
    defaultCapacity: PLATFORM_MAX_PAIRS_PER_X,
    capacityConfigurable: true,
    needsB: true,
    maxXPerUser: Number.POSITIVE_INFINITY,
  },
  // One X belongs to one A; one A holds at most 5 X (platform 1011005/1011003).
  AX: { defaultCapacity: 1, capacityConfigurable: false, needsB: false, maxXPerUser: 5 },
  // Many A behind one X, each on its own extension (none free: 1020167); 200 A per X is the platform's
  // recommendation. An A sits at most once on an X: the call-back record (A calling X reaches the last
  // party that reached A there) is kept per X and A, so two orders of one customer on one X would send
  // the customer's call back to whichever courier called last.
  AXE: {
    defaultCapacity: 200,
    capacityConfigurable: true,
    needsB: false,
    maxXPerUser: Number.POSITIVE_INFINITY,
  },
  // A on X and B on Y, both numbers of the pool (one number may be X of some bindings and Y of others).
  // The platform's rules are unconfirmed; bindpool holds the AXB rule on both numbers: a binding counts
  // on X and on Y, and neither A nor B appears twice on one number, so a call to a number is routed by
  // its caller alone. Default 1 binding per number: Huawei's usage notes say an X carries one A at a time
  // (anyone calling X reaches A), which only one binding per number always satisfies; a capacity up to
  // 5 (the query by X lists 1-5) may be configured where the app takes shared numbers.
  AXYB: {
    defaultCapacity: 1,
    capacityConfigurable: true,
    needsB: true,
    maxXPerUser: Number.POSITIVE_INFINITY,
  },
};

/** The user numbers a binding occupies on its X (in AXYB: on X and on Y alike). */
export function usersOf(mode: Mode, a: Phone, b: Phone | undefined): Phone[] {
  return (mode === "AXB" || mode === "AXYB") && b !== undefined ? [a, b] : [a];
}

/** The numbers of the pool an entry holds: its X, and in AXYB its Y too. */
export function entryNumbersOf(e: { readonly x: Phone; readonly y?: Phone | undefined }): Phone[] {
  return e.y === undefined ? [e.x] : [e.x, e.y];
}

/**
 * The user numbers an entry holds on its X: its pair's, and in AXB also the B a `changeB` is leaving
 * (`previousB`), which stays held until the platform's modify is settled.
 */
export function entryUsersOf(
  mode: Mode,
  e: { readonly a: Phone; readonly b?: Phone | undefined; readonly previousB?: Phone | undefined },
): Phone[] {
  const users = usersOf(mode, e.a, e.b);
  if (mode === "AXB" && e.previousB !== undefined) users.push(e.previousB);
  return users;
}

/** Capacity of an X in a mode, from its configured value or the mode's default. */
export function capacityOf(mode: Mode, configured: number | undefined): number {
  const rules = MODE_RULES[mode];
  return rules.capacityConfigurable && configured !== undefined ? configured : rules.defaultCapacity;
}

/**
 * Whether a pair may be placed on an X: X under capacity, no user of the pair already on X, and no user
 * over the per-user limit. `held(user)` returns the X numbers the user holds in the pool.
 */
export function canPlace(
  mode: Mode,
  x: { x: Phone; load: number; capacity: number },
  users: readonly Phone[],
  held: (user: Phone) => ReadonlySet<Phone> | undefined,
): boolean {
  if (x.load >= x.capacity) return false;
  for (const user of users) {
    const set = held(user);
    if (set === undefined) continue;
    if (set.has(x.x)) return false;
    if (set.size >= MODE_RULES[mode].maxXPerUser) return false;
  }
  return true;
}

/**
 * Whether X takes a new bind at `nowMs`: active (or quarantined until a time that has passed), cooldown
 * over, load below capacity. Stores count `available` numbers with it.
 */
export function takesBinds(
  n: {
    state: NumberState;
    quarantineUntilMs: number;
    cooldownUntilMs: number;
    load: number;
    capacity: number;
  },
  nowMs: number,
): boolean {
  const active =
    n.state === "active" ||
    (n.state === "quarantined" && n.quarantineUntilMs > 0 && n.quarantineUntilMs <= nowMs);
  return active && n.cooldownUntilMs <= nowMs && n.load < n.capacity;
}
