import type { PlatformBinding } from "../driver/index.js";
import type { Entry } from "../model/index.js";
import type { ParsedPool } from "../runtime/tuning.js";
import type { Context } from "./context.js";

/**
 * Records a platform binding no entry owns as a bound entry under `orderKey` on its own X (the pair's
 * rules and X's capacity still hold; its state and cooldown do not matter), ending at `untilMs`.
 * Undefined when the store cannot take it (the orderKey exists, or a user of the pair holds X).
 */
export async function recordBinding(
  ctx: Context,
  pool: ParsedPool,
  orderKey: string,
  binding: Pick<PlatformBinding, "x" | "a" | "b" | "extension" | "y" | "subscriptionId">,
  untilMs: number,
): Promise<Entry | undefined> {
  const nowMs = ctx.now();
  const held = await ctx.store.reserve({
    pool: pool.id,
    orderKey,
    a: binding.a,
    b: binding.b,
    x: binding.x,
    extension: binding.extension,
    y: binding.y,
    exclude: [],
    strategy: ctx.tuning.strategy,
    leaseMs: ctx.tuning.leaseMs,
    nowMs,
  });
  if (!held.ok || held.existing) return undefined;
  const { token } = held.entry;
  const { subscriptionId } = binding;
  const confirmed = await ctx.store.confirm({
    pool: pool.id,
    orderKey,
    token,
    subscriptionId,
    untilMs,
    nowMs,
    adopt: true,
  });
  if (confirmed === "ok") return { ...held.entry, status: "bound", subscriptionId, untilMs };
  await ctx.store.release(pool.id, orderKey, token);
  return undefined;
}

/**
 * When an adopted binding's order ends. The order's TTL is not in the store; the platform's binding
 * lifetime is (TTL + grace), counted from the bind, so the order ends a lifetime after the bind time the
 * platform reports (never counted from later than now: a bind time that reads as future, e.g. a local
 * time read as UTC, counts as now, so the end is never early). Without a bind time, a lifetime from now;
 * a permanent or unreported lifetime gets `fallbackSeconds` (default `adoptTtlSeconds`) from now.
 */
export function adoptedUntilMs(ctx: Context, binding: PlatformBinding, fallbackSeconds?: number): number {
  const now = ctx.now();
  if (!binding.durationSeconds) return now + (fallbackSeconds || ctx.tuning.adoptTtlSeconds) * 1000;
  return Math.min(binding.boundAtMs ?? now, now) + binding.durationSeconds * 1000;
}

/**
 * A reservation no live caller is binding (its lease ended, or the caller holding the order's shared lock
 * found it): its holder died or gave up with the bind's outcome unknown. Asks the platform: a binding
 * that went through is adopted, otherwise X is freed; `unknown` when the platform cannot say now.
 * Call it under the order's lock.
 */
export async function settleLapsedReservation(
  ctx: Context,
  pool: ParsedPool,
  entry: Entry,
): Promise<"adopted" | "freed" | "unknown"> {
  const found = await ctx.platform.findBinding(pool.mode, entry);
  if (found.kind !== "ok") return "unknown";
  const binding = found.value;
  if (binding !== undefined) {
    const adopted = await ctx.store.confirm({
      pool: pool.id,
      orderKey: entry.orderKey,
      token: entry.token,
      subscriptionId: binding.subscriptionId,
      untilMs: adoptedUntilMs(ctx, binding),
      nowMs: ctx.now(),
      adopt: true,
    });
    if (adopted !== "ok") return "unknown";
    ctx.events.emit("adopted", {
      pool: pool.id,
      orderKey: entry.orderKey,
      x: entry.x,
      extension: entry.extension,
      subscriptionId: binding.subscriptionId,
      by: "sweeper",
    });
    return "adopted";
  }
  if ((await ctx.store.release(pool.id, entry.orderKey, entry.token)) !== "released") return "unknown";
  const { orderKey, x, extension } = entry;
  ctx.events.emit("leaseExpired", { pool: pool.id, orderKey, x, extension });
  return "freed";
}
