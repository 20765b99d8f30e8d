import type { PlatformBinding } from "../driver/index.js";
import { OrderLockLostError } from "../errors/index.js";
import type { ReleaseReason } from "../events/index.js";
import { type Entry, internalKey } from "../model/index.js";
import type { ParsedPool } from "../runtime/tuning.js";
import { recordBinding } from "./adoption.js";
import type { Context } from "./context.js";

/**
 * The unbind outbox: an unbind the platform cannot take now is kept in the store as a `releasing` entry
 * (X and its users stay held, so no conflicting pair gets X) and retried by the sweeper.
 */

/**
 * Unbinds and frees an entry; when the platform cannot be reached, queues the unbind (`pending`). When
 * the order's lock is lost on the way, the unbind is queued too before the error goes up.
 */
export async function unbindAndFree(
  ctx: Context,
  pool: ParsedPool,
  entry: Entry,
  reason: ReleaseReason,
): Promise<"released" | "pending"> {
  let result: Awaited<ReturnType<typeof ctx.platform.unbind>>;
  try {
    result = await ctx.platform.unbind(pool.mode, entry);
  } catch (error) {
    if (error instanceof OrderLockLostError) await queueUnbind(ctx, pool, entry, error.code);
    throw error;
  }
  if (!result.done) {
    await queueUnbind(ctx, pool, entry, result.failure.code);
    return "pending";
  }
  await ctx.store.release(pool.id, entry.orderKey, entry.token);
  const { orderKey, x, extension } = entry;
  ctx.events.emit("released", { pool: pool.id, orderKey, x, extension, reason });
  return "released";
}

/**
 * Unbinds a platform binding no entry owns (a bind that landed after its reservation was taken over, an
 * orphan the reconciler found). The intent goes into the store first, as a `releasing` entry under an
 * internal `unbind` key that holds the pair on X: from then on no reservation of the pair can take X
 * and adopt the binding while the unbind is on its way, and the sweeper retries it if this one fails.
 * `skipped` when the store cannot take it (a user of the pair holds X: a reservation there may adopt
 * this binding); the reconciler looks again later.
 */
export async function unbindUnowned(
  ctx: Context,
  pool: ParsedPool,
  binding: Pick<PlatformBinding, "x" | "a" | "b" | "extension" | "y" | "subscriptionId">,
  reason: ReleaseReason,
): Promise<"released" | "pending" | "skipped"> {
  const key = internalKey("unbind", binding.subscriptionId);
  const held =
    (await ctx.store.get(pool.id, key)) ?? (await recordBinding(ctx, pool, key, binding, ctx.now()));
  if (held === undefined) return "skipped";
  await ctx.store.markReleasing(pool.id, key, held.token, ctx.now() + ctx.tuning.unbindRetryMs);
  const result = await unbindAndFree(ctx, pool, held, reason);
  // A conflict may have fenced it meanwhile; it is gone now.
  if (result === "released") await ctx.store.release(pool.id, internalKey("foreign", binding.subscriptionId));
  return result;
}

/** Marks the entry `releasing` with its next unbind try due in `unbindRetryMs` (the sweeper makes it). */
async function queueUnbind(ctx: Context, pool: ParsedPool, entry: Entry, code: string): Promise<void> {
  const retryAtMs = ctx.now() + ctx.tuning.unbindRetryMs;
  if ((await ctx.store.markReleasing(pool.id, entry.orderKey, entry.token, retryAtMs)) === "ok") {
    ctx.events.emit("unbindQueued", {
      pool: pool.id,
      orderKey: entry.orderKey,
      x: entry.x,
      extension: entry.extension,
      code,
      retryAtMs,
    });
  }
}
