import { entryUsersOf, MODE_RULES, type Phone, type Store } from "@bindpool/core";

/**
 * Checks the invariants of DESIGN.md on a store's pool and returns what is broken (empty: all hold):
 * no user number twice on one X, no X over capacity, each X's load equals its entries (as `numbers` and as
 * `load` give it), per-user limits.
 * A B that a pending `changeB` is leaving (`previousB`) holds X like the entry's own users. AXE: every
 * entry holds an extension of 1-4 digits above 0, no extension twice on one X. AXYB (written out here, not
 * taken from core): every entry holds a Y other than its X, counts in the load of both, and A and B are
 * held on both like on an AXB X.
 */
export async function invariantViolations(store: Store, pool: string): Promise<string[]> {
  const [numbers, entries, stats] = await Promise.all([
    store.numbers(pool),
    store.entries(pool),
    store.stats(pool, Date.now()),
  ]);
  const problems: string[] = [];
  const perX = new Map<Phone, number>();
  const usersOnX = new Map<string, string>();
  const xPerUser = new Map<Phone, Set<Phone>>();
  const extensionsOnX = new Map<string, string>();
  for (const e of entries) {
    const axyb = stats.mode === "AXYB";
    if (axyb && (e.y === undefined || e.y === e.x))
      problems.push(`order ${e.orderKey} has no Y apart from X`);
    if (!axyb && e.y !== undefined) problems.push(`order ${e.orderKey} has a Y in a ${stats.mode} pool`);
    const held = axyb && e.y !== undefined && e.y !== e.x ? [e.x, e.y] : [e.x];
    for (const n of held) perX.set(n, (perX.get(n) ?? 0) + 1);
    if (stats.mode === "AXE") {
      if (e.extension === undefined || !/^\d{1,4}$/.test(e.extension) || Number(e.extension) === 0) {
        problems.push(`order ${e.orderKey} on ${e.x} has no valid extension (${e.extension})`);
      } else {
        const key = `${e.x}#${Number(e.extension)}`;
        const other = extensionsOnX.get(key);
        if (other !== undefined) {
          problems.push(`extension ${e.extension} is twice on ${e.x} (orders ${other} and ${e.orderKey})`);
        }
        extensionsOnX.set(key, e.orderKey);
      }
    } else if (e.extension !== undefined) {
      problems.push(`order ${e.orderKey} has an extension in a ${stats.mode} pool`);
    }
    const users = axyb ? [e.a, ...(e.b === undefined ? [] : [e.b])] : entryUsersOf(stats.mode, e);
    for (const n of held) {
      for (const u of users) {
        const key = `${n}/${u}`;
        const other = usersOnX.get(key);
        if (other !== undefined) problems.push(`${u} is twice on ${n} (orders ${other} and ${e.orderKey})`);
        usersOnX.set(key, e.orderKey);
        let set = xPerUser.get(u);
        if (set === undefined) {
          set = new Set();
          xPerUser.set(u, set);
        }
        set.add(n);
      }
    }
  }
  for (const n of numbers) {
    const count = perX.get(n.x) ?? 0;
    if (n.load !== count) problems.push(`${n.x} says load ${n.load} but carries ${count} entries`);
    const alone = await store.load?.(pool, n.x);
    if (store.load && alone !== count)
      problems.push(`load(${n.x}) says ${alone} but X carries ${count} entries`);
    if (count > n.capacity) problems.push(`${n.x} carries ${count} entries over its capacity ${n.capacity}`);
    perX.delete(n.x);
  }
  for (const [x] of perX) problems.push(`entries name ${x}, which is not a number of the pool`);
  const limit = MODE_RULES[stats.mode].maxXPerUser;
  for (const [u, xs] of xPerUser)
    if (xs.size > limit) problems.push(`${u} holds ${xs.size} X, over ${limit}`);
  return problems;
}
