import type { Binding } from "@bindpool/core";
import type { OrderRecord } from "./checker.js";
import type { PoolPlan } from "./scenario.js";
import type { CallResult, World } from "./world.js";

/** One order of the workload: who, where, how long, and what happens to it while it lives. */
export interface OrderPlan {
  readonly orderKey: string;
  readonly pool: PoolPlan;
  readonly a: string;
  readonly b: string | undefined;
  readonly lifetimeMs: number;
  readonly preferX: string | undefined;
  /** Reassign to `newB` this long after the allocation (AXB only). */
  readonly reassign: { readonly afterMs: number; readonly newB: string } | undefined;
  /** Extend the order this long after the allocation. */
  readonly extendAfterMs: number | undefined;
}

/** What a real app retries: the platform or the store was unavailable, or another call held the order. */
const RETRIABLE = new Set([
  "BINDPOOL_PLATFORM_UNAVAILABLE",
  "BINDPOOL_ORDER_PENDING",
  "BINDPOOL_ORDER_LOCK_LOST",
  "BINDPOOL_LOCK_BUSY",
  "BINDPOOL_LEASE_LOST",
  "BINDPOOL_POOL_EXHAUSTED",
]);
const retriable = (r: CallResult<unknown>, extra: readonly string[] = []) =>
  r.kind === "disconnected" ||
  (r.kind === "error" &&
    (RETRIABLE.has(r.code) || r.code.startsWith("BINDPOOL_STORE") || extra.includes(r.code)));

const asClient = (b: Binding) => ({ subscriptionId: b.subscriptionId, x: b.x, a: b.a, b: b.b });

/**
 * The client of one order, as an app would drive it: allocate (retrying what is worth retrying), maybe
 * reassign and extend, then complete; an allocation that finally failed is cancelled. Every call goes to
 * a random live instance; a call to an instance that dies fails like a dropped connection.
 */
export async function runOrder(w: World, plan: OrderPlan): Promise<void> {
  const o: OrderRecord = {
    orderKey: plan.orderKey,
    pool: plan.pool.id,
    a: plan.a,
    state: "new",
    binding: undefined,
    liveUntilMs: 0,
    reassignTo: undefined,
    storeUnsure: false,
    endDone: false,
    mayReturn: false,
  };
  w.orders.set(`${o.pool}\u0000${o.orderKey}`, o);
  const graceMs = w.scenario.graceSeconds * 1000;
  const ttlSeconds = Math.ceil(plan.lifetimeMs / 1000) + 30;

  const allocated = await w.retrying(`allocate ${o.orderKey}`, 6, retriable, (alloc) =>
    alloc.allocate({
      pool: o.pool,
      orderKey: o.orderKey,
      a: plan.a,
      b: plan.b,
      ttlSeconds,
      preferX: plan.preferX,
    }),
  );
  if (allocated.kind !== "ok") {
    o.state = "failed";
    const cancelled = await w.retrying(`cancel ${o.orderKey}`, 50, retriable, (alloc) =>
      alloc.cancel(o.orderKey, o.pool),
    );
    o.endDone = cancelled.kind === "ok" && cancelled.value.status !== "pending";
    return;
  }
  o.state = "live";
  o.binding = asClient(allocated.value);
  o.liveUntilMs = allocated.value.expiresAtMs - graceMs;
  w.lastX.set(plan.a, allocated.value.x);
  const startMs = w.sched.nowMs;
  const endMs = Math.min(startMs + plan.lifetimeMs, o.liveUntilMs - 5_000);

  const steps: { atMs: number; run: () => Promise<void> }[] = [];
  if (plan.reassign !== undefined) {
    const newB = plan.reassign.newB;
    steps.push({
      atMs: startMs + plan.reassign.afterMs,
      run: async () => {
        o.reassignTo = newB;
        const r = await w.retrying(
          `reassign ${o.orderKey}`,
          6,
          (r) => retriable(r, ["BINDPOOL_UNKNOWN_ORDER"]) && w.sched.nowMs < endMs,
          (alloc) => alloc.reassign(o.orderKey, { b: newB }, o.pool),
        );
        if (r.kind === "ok" && o.state === "live") {
          o.binding = asClient(r.value);
          o.reassignTo = undefined;
        }
      },
    });
  }
  if (plan.extendAfterMs !== undefined) {
    steps.push({
      atMs: startMs + plan.extendAfterMs,
      run: async () => {
        const more = Math.ceil((endMs - w.sched.nowMs) / 1000) + 40;
        const r = await w.retrying(
          `extend ${o.orderKey}`,
          4,
          (r) => retriable(r) && w.sched.nowMs < endMs,
          (alloc) => alloc.extend(o.orderKey, more, o.pool),
        );
        if (r.kind === "ok") o.liveUntilMs = Math.max(o.liveUntilMs, r.value.expiresAtMs - graceMs);
      },
    });
  }
  steps.sort((x, y) => x.atMs - y.atMs);
  for (const step of steps) {
    if (step.atMs >= endMs) break;
    await w.sched.sleep(step.atMs - w.sched.nowMs);
    if (w.stopping) return;
    await step.run();
  }
  await w.sched.sleep(endMs - w.sched.nowMs);
  // Orders still running when the workload stops stay live through the final quiesce.
  if (w.stopping) return;
  o.state = "ended";
  const completed = await w.retrying(`complete ${o.orderKey}`, 50, retriable, (alloc) =>
    alloc.complete(o.orderKey, o.pool),
  );
  o.endDone = completed.kind === "ok" && completed.value.status !== "pending";
}
