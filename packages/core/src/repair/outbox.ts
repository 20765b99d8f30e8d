import type { ReleaseReason } from "../events/index.js";
import { type Entry, internalKey } from "../model/index.js";
import type { ParsedPool } from "../runtime/tuning.js";
import { recordBinding } from "./adoption.js";
import type { Context } from "./context.js";

/**
 * The unbind outbox: an unbind the platform cannot take now is kept in the store as a `releasing` entry
 * (X and its users stay held, so no conflicting pair gets X) and retried by the sweeper.
 */

/** Unbinds and frees an entry; when the platform cannot be reached, queues the unbind (`pending`). */
export async function unbindAndFree(
  ctx: Context,
  pool: ParsedPool,
  entry: Entry,
  reason: ReleaseReason,
): Promise<"released" | "pending"> {
  const result = await ctx.platform.unbind(pool.mode, entry);
  if (!result.done) {
    await queueUnbind(ctx, pool, entry, result.failure.code);
    return "pending";
  }
  await ctx.store.release(pool.id, entry.orderKey, entry.token);
  ctx.events.emit("released", { pool: pool.id, orderKey: entry.orderKey, x: entry.x, reason });
  return "released";
}

/**
 * Unbinds a binding no entry owns (a bind that landed after its reservation was taken over). When the
 * platform cannot be reached, the unbind is kept in the store like any other: a `releasing` entry under
 * an internal `unbind` key (X and the pair held meanwhile) that the sweeper retries. If the store cannot
 * take it (the pair already holds X again), the reconciler finds the binding later.
 */
export async function unbindOrphan(
  ctx: Context,
  pool: ParsedPool,
  binding: Entry & { subscriptionId: string },
): Promise<void> {
  const result = await ctx.platform.unbind(pool.mode, binding);
  if (result.done) {
    // A conflict may have fenced it meanwhile; it is gone now.
    await ctx.store.release(pool.id, internalKey("foreign", binding.subscriptionId));
    return;
  }
  const key = internalKey("unbind", binding.subscriptionId);
  const held = await recordBinding(ctx, pool, key, binding, ctx.now());
  if (held !== undefined) await queueUnbind(ctx, pool, held, result.failure.code);
}

/** Marks the entry `releasing` with its next unbind try due in `unbindRetryMs` (the sweeper makes it). */
async function queueUnbind(ctx: Context, pool: ParsedPool, entry: Entry, code: string): Promise<void> {
  const retryAtMs = ctx.now() + ctx.tuning.unbindRetryMs;
  if ((await ctx.store.markReleasing(pool.id, entry.orderKey, entry.token, retryAtMs)) === "ok") {
    ctx.events.emit("unbindQueued", {
      pool: pool.id,
      orderKey: entry.orderKey,
      x: entry.x,
      code,
      retryAtMs,
    });
  }
}
