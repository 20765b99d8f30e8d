/**
 * Calls of the modes whose numbers a party keeps: AX (a courier who keeps one X for a shift, the
 * temporary callee that routes the holder's next call, a drain that waits until X's holders are done)
 * and AXYB (ending B's side of a binding while A keeps X).
 */
import { z } from "zod";
import { ValidationError } from "../errors/index.js";
import { AllocateRequestSchema, type Phone, PoolIdSchema } from "../model/index.js";
import type { Context } from "../repair/context.js";
import type { ParsedPool } from "../runtime/tuning.js";
import { platformError } from "./allocate.js";
import { boundEntry } from "./reassign.js";

/** How long a hold lasts when the request does not say: a long shift. */
export const DEFAULT_HOLD_SECONDS = 43_200;

const { a, ttlSeconds, area, preferX, userData, orderKey } = AllocateRequestSchema.shape;

export const HoldRequestSchema = z.strictObject({
  pool: PoolIdSchema,
  /** Who holds X (e.g. `courier:17:shift:2026-12-03`); shares the pool's key space with orderKeys. */
  holder: orderKey,
  /** The holder's real number. */
  a,
  /** How long the hold lasts; `complete(holder)` ends it sooner. */
  ttlSeconds: ttlSeconds.default(DEFAULT_HOLD_SECONDS),
  area,
  preferX,
  userData,
});
export type HoldRequest = z.input<typeof HoldRequestSchema>;

/** Refuses a pool that is not AX, naming what the call is for. */
export function requireAx(pool: ParsedPool, what: string): void {
  if (pool.mode !== "AX") {
    throw new ValidationError(`Pool "${pool.id}" is an ${pool.mode} pool: ${what} is for AX pools.`);
  }
}

/** Sets the temporary callee of a bound AX order; call it under the order's lock. */
export async function setCalleeOf(
  ctx: Context,
  pool: ParsedPool,
  orderKey: string,
  callee: Phone,
  ttlSeconds: number,
): Promise<{ x: Phone; expiresAtMs: number }> {
  const entry = await boundEntry(ctx, pool, orderKey);
  if (entry.a === callee) {
    throw new ValidationError("The callee must differ from the order's A.", [
      { path: "callee", message: "equals a" },
    ]);
  }
  const outcome = await ctx.platform.setCallee({
    mode: pool.mode,
    subscriptionId: entry.subscriptionId!,
    x: entry.x,
    callee,
    durationSeconds: ttlSeconds,
  });
  if (outcome.kind !== "ok") throw platformError(outcome, ctx.tuning);
  const expiresAtMs = ctx.now() + ttlSeconds * 1000;
  ctx.events.emit("calleeSet", { pool: pool.id, orderKey, x: entry.x, expiresAtMs });
  return { x: entry.x, expiresAtMs };
}

/**
 * AXYB: ends the YB relation of a bound order at the platform (B no longer reaches A through Y, nor A B);
 * A stays reachable through X until the order completes. The store keeps Y and B held for the order
 * until then, so nothing else takes them while the platform may still route a call in progress.
 * Call it under the order's lock.
 */
export async function releaseYBOf(ctx: Context, pool: ParsedPool, orderKey: string): Promise<{ x: Phone }> {
  const entry = await boundEntry(ctx, pool, orderKey);
  const { y, subscriptionId } = entry;
  if (y === undefined || subscriptionId === undefined) {
    throw new ValidationError(`Order "${orderKey}" has no Y to release.`);
  }
  const outcome = await ctx.platform.unbindYB({ ...entry, y, subscriptionId });
  if (outcome.kind !== "ok") throw platformError(outcome, ctx.tuning);
  ctx.events.emit("ybReleased", { pool: pool.id, orderKey, x: entry.x, y });
  return { x: entry.x };
}

/**
 * Waits until X carries no entry (its holders and orders are done, its queued unbinds gone through),
 * looking every `pollMs`. Rejects with the signal's reason when it aborts.
 */
export async function waitUntilEmpty(
  ctx: Context,
  pool: ParsedPool,
  x: Phone,
  pollMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const load = ctx.store.load
      ? await ctx.store.load(pool.id, x)
      : (await ctx.store.numbers(pool.id)).find((n) => n.x === x)?.load;
    if ((load ?? 0) === 0) return;
    await ctx.scheduler.sleep(pollMs);
  }
}
