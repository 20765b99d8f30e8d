import type { Context, ParsedPool } from "../allocator/context.js";
import type { Entry } from "../model/index.js";

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
    await ctx.serialised(pool.id, stale.orderKey, async () => {
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
      const result = await ctx.unbindAndFree(pool, entry, wasQueued ? "sweeper" : "expired");
      if (result === "pending") report.pending++;
      else if (wasQueued) report.unbindsRetried++;
      else report.expiredUnbound++;
    });
  }
  return report;
}

/**
 * A reservation whose lease ended: its holder died or gave up with the bind's outcome unknown. Asks the
 * platform: a binding that went through is adopted, otherwise X is freed; `unknown` when the platform
 * cannot say now (try again later).
 */
export async function settleLapsedReservation(
  ctx: Context,
  pool: ParsedPool,
  entry: Entry,
): Promise<"adopted" | "freed" | "unknown"> {
  const found = await ctx.findBinding(pool.mode, entry);
  if (found.kind !== "ok") return "unknown";
  const binding = found.value;
  if (binding !== undefined) {
    const adopted = await ctx.store.confirm({
      pool: pool.id,
      orderKey: entry.orderKey,
      token: entry.token,
      subscriptionId: binding.subscriptionId,
      untilMs: ctx.adoptedUntilMs(binding),
      nowMs: ctx.now(),
      adopt: true,
    });
    if (adopted !== "ok") return "unknown";
    ctx.events.emit("adopted", {
      pool: pool.id,
      orderKey: entry.orderKey,
      x: entry.x,
      subscriptionId: binding.subscriptionId,
      by: "sweeper",
    });
    return "adopted";
  }
  if ((await ctx.store.release(pool.id, entry.orderKey, entry.token)) !== "released") return "unknown";
  ctx.events.emit("leaseExpired", { pool: pool.id, orderKey: entry.orderKey, x: entry.x });
  return "freed";
}
