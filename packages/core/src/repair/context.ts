import type { Events } from "../events/index.js";
import type { OrderSerialiser } from "../orders/serialiser.js";
import type { PlatformCalls } from "../platform/calls.js";
import type { Scheduler, Tuning } from "../runtime/tuning.js";
import type { Store } from "../store/index.js";

/** What the allocator and its jobs (sweeper, reconciler) share. Internal to core. */
export interface Context {
  readonly store: Store;
  readonly platform: PlatformCalls;
  /** Per-order serialisation (`orders.run(pool, orderKey, fn)`), across instances with a shared lock. */
  readonly orders: OrderSerialiser;
  readonly tuning: Tuning;
  readonly events: Events;
  readonly now: () => number;
  readonly scheduler: Scheduler;
}
