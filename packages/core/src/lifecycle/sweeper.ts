import { settleLapsedReservation } from "../repair/adoption.js";
import type { Context } from "../repair/context.js";
import { unbindAndFree } from "../repair/outbox.js";
import type { ParsedPool } from "../runtime/tuning.js";

/** What one sweep did. */
export interface SweepReport {
  /** Reservations whose lease ended but whose bind had gone through: now bound. */
  adopted: number;
  /** Reservations whose lease ended without a binding: X freed. */
  leasesFreed: number;
  /** Orders whose TTL passed: unbound and freed. */
  expiredUnbound: number;
  /** Queued unbinds that went through on retry. */
  unbindsRetried: number;
  /** Unbinds still failing, kept for the next sweep. */
  pending: number;
}

/**
 * One pass over a pool's due entries (oldest first, at most `limit`): ended leases, ended orders and
 * queued unbinds. Each entry is handled under the orderKey's lock, so an allocation in flight is never
 * undercut. Stops between entries once `signal` aborts (the instance lost the job's election).
 */
export async function sweepPool(
  ctx: Context,
  pool: ParsedPool,
  limit: number,
  signal?: AbortSignal,
): Promise<SweepReport> {
  const report: SweepReport = {
    adopted: 0,
    leasesFreed: 0,
    expiredUnbound: 0,
    unbindsRetried: 0,
    pending: 0,
  };
  const due = await ctx.store.expired(pool.id, ctx.now(), limit);
  for (const stale of due) {
    if (signal?.aborted) break;
    await ctx.orders.run(pool.id, stale.orderKey, async () => {
      const entry = await ctx.store.get(pool.id, stale.orderKey);
      // Someone moved it on since it was listed (confirmed, extended, completed): not ours to touch.
      if (entry === undefined || entry.token !== stale.token || entry.untilMs > ctx.now()) return;
      if (entry.status === "reserved") {
        const settled = await settleLapsedReservation(ctx, pool, entry);
        if (settled === "adopted") report.adopted++;
        if (settled === "freed") report.leasesFreed++;
        return;
      }
      const wasQueued = entry.status === "releasing";
      const result = await unbindAndFree(ctx, pool, entry, wasQueued ? "sweeper" : "expired");
      if (result === "pending") report.pending++;
      else if (wasQueued) report.unbindsRetried++;
      else report.expiredUnbound++;
    });
  }
  return report;
}
