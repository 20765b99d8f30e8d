import type { Entry, Store } from "@bindpool/core";
import type { SimulatorBinding } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";

/**
 * The store's invariants, and its agreement with the platform, while every courier waits: each entry is
 * bound and the platform holds its binding with the same X, A and (AXE) extension; each platform binding
 * belongs to an entry.
 */
export async function peakViolations(
  store: Store,
  pool: string,
  bindings: readonly SimulatorBinding[],
): Promise<string[]> {
  const problems = await invariantViolations(store, pool);
  const entries: readonly Entry[] = await store.entries(pool);
  const bySubscription = new Map(bindings.map((b) => [b.subscriptionId, b]));
  for (const e of entries) {
    const b = e.subscriptionId === undefined ? undefined : bySubscription.get(e.subscriptionId);
    if (e.status !== "bound") problems.push(`${e.orderKey} is ${e.status} while nothing runs`);
    else if (b === undefined) problems.push(`${e.orderKey} has no binding at the platform`);
    else if (b.x !== e.x || b.a !== e.a || b.extension !== e.extension)
      problems.push(`${e.orderKey} disagrees with the platform`);
    bySubscription.delete(e.subscriptionId ?? "");
  }
  for (const b of bySubscription.values()) problems.push(`platform binding on ${b.x} has no entry`);
  return problems;
}
