import type { Failure } from "../driver/index.js";
import { UnknownOrderError, ValidationError } from "../errors/index.js";
import { type Binding, type Entry, internalKey, type Phone, toBinding, userDataFor } from "../model/index.js";
import type { Context } from "../repair/context.js";
import { unbindAndFree } from "../repair/outbox.js";
import type { ParsedPool } from "../runtime/tuning.js";
import { allocateOnce, platformError, TRANSIENT } from "./allocate.js";

const UNCONFIRMED_MODIFY: Failure = {
  kind: "timeout",
  code: "MODIFY_UNCONFIRMED",
  message: "the platform did not confirm the modify; call reassign again to finish it",
};

/** The bound entry of an order; `UnknownOrderError` when it has none. */
export async function boundEntry(ctx: Context, p: ParsedPool, orderKey: string): Promise<Entry> {
  const entry = await ctx.store.get(p.id, orderKey);
  if (entry?.status !== "bound") throw new UnknownOrderError(orderKey, p.id);
  return entry;
}

/**
 * Gives an order a new B: the platform's modify on the same X when the new B is free there; otherwise a
 * new X is bound first and the old one unbound after, so the order always has a working number. A call
 * that died between the steps is finished by the next call. Call it under the order's lock.
 */
export async function reassignOrder(
  ctx: Context,
  p: ParsedPool,
  orderKey: string,
  b: Phone,
): Promise<Binding> {
  const store = ctx.store;
  let entry = await boundEntry(ctx, p, orderKey);
  // A rebind that a crash interrupted left its other half under this key: finish it when it was for
  // this B, else undo it (it was never the order's binding, or it is the old one already replaced).
  const tempKey = internalKey("reassign", orderKey);
  let leftover = await store.get(p.id, tempKey);
  if (leftover !== undefined && leftover.b !== b) {
    await unbindAndFree(ctx, p, leftover, "reassigned");
    leftover = undefined;
  }
  if (entry.previousB !== undefined && entry.b !== b) {
    // An earlier modify's outcome was never seen: settle it by what the platform has before moving on.
    entry = await settlePendingB(ctx, p, entry);
  }
  if (entry.b === b) {
    // A previous call may have died between the store and the platform: make the platform agree.
    const onPlatform = await ctx.platform.querySubscription(p.mode, entry.subscriptionId!);
    if (onPlatform.kind !== "ok") throw platformError(onPlatform, ctx.tuning);
    if (onPlatform.value !== undefined && onPlatform.value.b !== b) {
      const modified = await modifyB(ctx, p, entry.subscriptionId!, b);
      if (modified !== "done") throw platformError(UNCONFIRMED_MODIFY, ctx.tuning);
    }
    await followB(ctx, p, entry, b);
    if (leftover !== undefined) await unbindAndFree(ctx, p, leftover, "reassigned");
    return toBinding({ ...entry, previousB: undefined });
  }
  if (entry.a === b) {
    throw new ValidationError("The new b must differ from a.", [{ path: "b", message: "equals a" }]);
  }
  // The store holds both B on X until the platform answers, so no pair with the old B gets X while the
  // platform still has it there.
  if (leftover === undefined && (await store.changeB(p.id, orderKey, entry.token, b)) === "ok") {
    const modified = await modifyB(ctx, p, entry.subscriptionId!, b);
    if (modified === "done") {
      await followB(ctx, p, entry, b);
      const now = await store.get(p.id, orderKey);
      if (now?.status !== "bound") throw new UnknownOrderError(orderKey, p.id);
      const binding = toBinding(now);
      ctx.events.emit("reassigned", { pool: p.id, orderKey, binding, via: "modify" });
      return binding;
    }
    // Unknown: keep both B held; calling reassign again checks the platform and finishes.
    if (modified === "unknown") throw platformError(UNCONFIRMED_MODIFY, ctx.tuning);
    await store.settleB(p.id, orderKey, entry.token, entry.b!); // refused: the old binding stands
  }
  // The new B is on that X already (or the modify failed): bind a new X, move the order to it, then
  // unbind the old one, so the order always has a working number.
  const remainingSeconds = Math.ceil((entry.untilMs - ctx.now()) / 1000) - ctx.tuning.graceSeconds;
  const fresh = await allocateOnce(
    ctx,
    p,
    {
      pool: p.id,
      orderKey: tempKey,
      a: entry.a,
      b,
      ttlSeconds: Math.max(1, remainingSeconds),
      userData: userDataFor(orderKey),
    },
    [entry.x],
  );
  await store.swap(p.id, orderKey, tempKey);
  const old = await store.get(p.id, tempKey);
  if (old !== undefined) await unbindAndFree(ctx, p, old, "reassigned");
  const binding = { ...fresh, orderKey };
  ctx.events.emit("reassigned", { pool: p.id, orderKey, binding, via: "rebind" });
  return binding;
}

/**
 * Ends a changeB whose modify was never confirmed: keeps the B the platform has (or, when it has
 * neither, the one the store moved to) and frees the other. Returns the entry as it is now.
 */
async function settlePendingB(ctx: Context, p: ParsedPool, entry: Entry): Promise<Entry> {
  const onPlatform = await ctx.platform.querySubscription(p.mode, entry.subscriptionId!);
  if (onPlatform.kind !== "ok") throw platformError(onPlatform, ctx.tuning);
  const platformB = onPlatform.value?.b;
  const keep = platformB === entry.previousB ? entry.previousB! : entry.b!;
  if ((await ctx.store.settleB(p.id, entry.orderKey, entry.token, keep)) !== "ok") {
    throw new UnknownOrderError(entry.orderKey, p.id);
  }
  return { ...entry, b: keep, previousB: undefined };
}

/**
 * The platform has `b` now: the store keeps it and frees the other B. Someone may have settled the
 * entry the other way meanwhile (this call lost its lock on the way): then move it to `b` again.
 */
async function followB(ctx: Context, p: ParsedPool, entry: Entry, b: Phone): Promise<void> {
  const { store } = ctx;
  if ((await store.settleB(p.id, entry.orderKey, entry.token, b)) === "ok") return;
  if ((await store.changeB(p.id, entry.orderKey, entry.token, b)) === "ok") {
    await store.settleB(p.id, entry.orderKey, entry.token, b);
    return;
  }
  throw new UnknownOrderError(entry.orderKey, p.id);
}

/** Moves a binding to a new B with the platform's modify; when the answer is lost, asks the platform. */
async function modifyB(
  ctx: Context,
  p: ParsedPool,
  subscriptionId: string,
  b: Phone,
): Promise<"done" | "refused" | "unknown"> {
  const outcome = await ctx.platform.modify(p.mode, subscriptionId, { b });
  if (outcome.kind === "ok") return "done";
  if (!TRANSIENT.has(outcome.kind)) return "refused";
  const now = await ctx.platform.querySubscription(p.mode, subscriptionId);
  if (now.kind !== "ok" || now.value === undefined) return "unknown";
  return now.value.b === b ? "done" : "refused";
}
