/**
 * The chaos run's checks of the quiet state, after the sweeper and reconciler ran: the store's own
 * invariants, store and platform agree, the store holds exactly the live orders, and each X is in the
 * state its last status push asked for.
 */
import { RedisStore } from "@bindpool/redis";
import type { Simulator } from "@bindpool/simulator";
import { invariantViolations } from "@bindpool/store-tests";
import type { Redis } from "ioredis";
import { agreementViolations, platformViolations } from "./checks.js";

export interface QuietState {
  readonly redis: Redis;
  readonly pool: string;
  readonly sim: Simulator;
  readonly appKey: string;
  readonly capacity: number;
  /** The orders the client holds live, with their pair (`orB`: a failed reassign's B, which may have taken). */
  readonly live: ReadonlyMap<string, { a: string; b: string; orB?: string }>;
  /** X -> the state (`active` / `quarantined`) its last status push asked for. */
  readonly lastStatus: ReadonlyMap<string, string>;
  /** Whether a data loss may have brought this binding back (kept until its end). */
  readonly broughtBack: (subscriptionId?: string) => boolean;
}

export async function quietStateViolations(q: QuietState): Promise<string[]> {
  const store = new RedisStore({ redis: q.redis });
  const violations = await invariantViolations(store, q.pool);
  const entries = await store.entries(q.pool);
  const bindings = q.sim.bindings(q.appKey);
  violations.push(
    ...platformViolations("AXB", bindings, q.capacity),
    ...agreementViolations(entries, bindings),
  );
  const byOrder = new Map(entries.map((e) => [e.orderKey, e]));
  for (const e of entries) {
    if (!q.live.has(e.orderKey) && !q.broughtBack(e.subscriptionId))
      violations.push(`store holds ${e.orderKey} (${e.status}) but the order is not live`);
  }
  for (const [orderKey, pair] of q.live) {
    const e = byOrder.get(orderKey);
    if (e === undefined) violations.push(`live order ${orderKey} has no binding in the store`);
    else if (e.a !== pair.a || (e.b !== pair.b && e.b !== pair.orB))
      violations.push(`live order ${orderKey} is bound to another pair`);
  }
  // Each X ends in the state its last status push asked for: every push took effect, once.
  for (const n of await store.numbers(q.pool)) {
    const want = q.lastStatus.get(n.x);
    if (want !== undefined && n.state !== want)
      violations.push(`${n.x} is ${n.state}, its last status push said ${want}`);
  }
  return violations;
}
