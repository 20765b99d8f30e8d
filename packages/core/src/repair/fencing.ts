import type { Entry } from "../model/index.js";
import { internalKey } from "../model/index.js";
import type { ParsedPool } from "../runtime/tuning.js";
import { adoptedUntilMs, recordBinding } from "./adoption.js";
import type { Context } from "./context.js";

/**
 * After a conflict answer on the entry's X (its own binding ruled out): records each platform binding
 * that holds a user of the pair there as a `foreign` entry, ending when the platform ends it. The store's
 * rules then keep those users off X while X stays open to every other pair; the reconciler unbinds them
 * later. False when none is found or one cannot be recorded (then cool all of X down).
 */
export async function fenceBlockers(ctx: Context, pool: ParsedPool, entry: Entry): Promise<boolean> {
  const found = await ctx.platform.findBlockers(pool.mode, entry);
  if (found.kind !== "ok" || found.value.length === 0) return false;
  for (const binding of found.value) {
    const orderKey = internalKey("foreign", binding.subscriptionId);
    const held = await recordBinding(ctx, pool, orderKey, binding, adoptedUntilMs(ctx, binding));
    if (held !== undefined) {
      const { subscriptionId, x } = binding;
      ctx.events.emit("fenced", { pool: pool.id, orderKey, x, subscriptionId });
    } else if ((await ctx.store.get(pool.id, orderKey)) === undefined) {
      return false; // not recorded, not by a concurrent caller either: a user of it holds X in the store
    }
  }
  return true;
}
