import type { PlatformBinding } from "../driver/index.js";
import { type Entry, internalKey, internalKind, orderKeyFromUserData, type Phone } from "../model/index.js";
import { firstPage } from "../platform/calls.js";
import { adoptedUntilMs, recordBinding } from "../repair/adoption.js";
import type { Context } from "../repair/context.js";
import { unbindAndFree, unbindUnowned } from "../repair/outbox.js";
import type { ParsedPool } from "../runtime/tuning.js";

export interface ReconcileOptions {
  /**
   * What to do with a platform binding no store entry owns: `true` adopts it (the order keeps the
   * orderKey its userData carries; others get an internal `adopted` key), as when rebuilding a store
   * after data loss; `false` unbinds it. @default false
   */
  readonly adoptUnknown?: boolean;
  /** Order lifetime, in seconds, of adopted bindings whose duration the platform does not report. @default the allocator's `adoptTtlSeconds` */
  readonly adoptTtlSeconds?: number;
  /** Stops between X numbers once it aborts (`startJobs` passes the election's: leadership lost). */
  readonly signal?: AbortSignal;
}

/** What one reconcile did. */
export interface ReconcileReport {
  numbers: number;
  platformBindings: number;
  adopted: number;
  unboundOrphans: number;
  droppedMissing: number;
  /** Bound entries whose B had drifted from the platform's (a reassign whose modify was never confirmed). */
  pairsRepaired: number;
  failedQueries: number;
}

/**
 * Pages through the platform's bindings of every X of the pool and repairs the store: a platform binding
 * the store does not know is adopted (a reservation of the same pair, or `adoptUnknown`) or unbound; a
 * bound entry whose binding the platform no longer has is dropped. X numbers whose query fails are left
 * alone (counted in `failedQueries`). Every call goes through the driver's rate limits.
 *
 * Safe while orders come and go: a binding is judged unknown only against a store read made AFTER the
 * platform answered with it. Its reservation is written before its bind, so by then the store holds it
 * (reserved or bound) unless the order is over; judged against the read made before the queries, every
 * order placed during a reconcile would look like an orphan and lose its number.
 */
export async function reconcilePool(
  ctx: Context,
  pool: ParsedPool,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    numbers: 0,
    platformBindings: 0,
    adopted: 0,
    unboundOrphans: 0,
    droppedMissing: 0,
    pairsRepaired: 0,
    failedQueries: 0,
  };
  const byX = new Map<Phone, Entry[]>();
  for (const e of await ctx.store.entries(pool.id)) {
    const onX = byX.get(e.x);
    if (onX === undefined) byX.set(e.x, [e]);
    else onX.push(e);
  }
  /** Platform bindings no entry of the first read owned; judged after the last query (see above). */
  const unknown: PlatformBinding[] = [];

  for (const { x } of pool.numbers) {
    if (options.signal?.aborted) break;
    report.numbers++;
    const platform = await allBindings(ctx, pool, x);
    if (platform === undefined) {
      report.failedQueries++;
      continue;
    }
    report.platformBindings += platform.length;
    const entries = byX.get(x) ?? [];
    const known = new Set(entries.map((e) => e.subscriptionId).filter((s) => s !== undefined));
    for (const binding of platform) {
      if (!known.has(binding.subscriptionId)) unknown.push(binding);
      else if (await followPlatformB(ctx, pool, entries, binding)) report.pairsRepaired++;
    }
    const onPlatform = new Set(platform.map((b) => b.subscriptionId));
    if (!options.adoptUnknown) {
      for (const e of entries) {
        const live = e.subscriptionId !== undefined && onPlatform.has(e.subscriptionId);
        if (live && (await unbindForeign(ctx, pool, e))) report.unboundOrphans++;
      }
    }
    for (const e of entries) {
      if (e.status !== "bound" || e.subscriptionId === undefined || onPlatform.has(e.subscriptionId))
        continue;
      // Absence from a paged listing is no proof (a completion between two pages moves bindings off
      // the page that was read): ask for the binding itself, under the order's lock, before dropping it.
      const dropped = await ctx.orders.run(pool.id, e.orderKey, async () => {
        const now = await ctx.store.get(pool.id, e.orderKey);
        if (now?.token !== e.token || now.subscriptionId !== e.subscriptionId) return false;
        const onPlatformNow = await ctx.platform.querySubscription(pool.mode, e.subscriptionId!);
        if (onPlatformNow.kind !== "ok" || onPlatformNow.value !== undefined) return false;
        return (await ctx.store.release(pool.id, e.orderKey, e.token)) === "released";
      });
      if (dropped) {
        report.droppedMissing++;
        ctx.events.emit("reconciled", {
          pool: pool.id,
          x,
          action: "droppedMissing",
          subscriptionId: e.subscriptionId,
        });
      }
    }
  }
  if (unknown.length > 0 && !options.signal?.aborted)
    await settleUnknown(ctx, pool, unknown, options, report);
  return report;
}

/** Adopts or unbinds the bindings the first read did not know, judged by a fresh read of the store. */
async function settleUnknown(
  ctx: Context,
  pool: ParsedPool,
  bindings: readonly PlatformBinding[],
  options: ReconcileOptions,
  report: ReconcileReport,
): Promise<void> {
  const owned = new Set<string>();
  const reservedFor = new Map<string, Entry>(); // reservations by X and pair
  const pairOn = (e: Pick<Entry, "x" | "a" | "b" | "extension" | "y">) =>
    `${e.x}|${e.a}|${e.b ?? ""}|${e.extension === undefined ? "" : Number(e.extension)}|${e.y ?? ""}`;
  for (const e of await ctx.store.entries(pool.id)) {
    if (e.subscriptionId !== undefined) owned.add(e.subscriptionId);
    if (e.status === "reserved") reservedFor.set(pairOn(e), e);
  }
  const settle = async (binding: PlatformBinding): Promise<void> => {
    if (options.signal?.aborted) return;
    const reserved = reservedFor.get(pairOn(binding));
    const adopted = await adopt(ctx, pool, binding, reserved, options);
    if (adopted === "owned") return;
    if (adopted === "unsure") {
      report.failedQueries++; // a rebuild is not done while one binding is undecided
      return;
    }
    if (adopted === "adopted") {
      report.adopted++;
      return;
    }
    // A rebuild (adoptUnknown) unbinds nothing: what it cannot adopt now, a later pass judges.
    if (options.adoptUnknown) return;
    // The order its userData names may be adopting it right now (its allocate found it behind a lost
    // lease): judge it under that order's lock, against the order's entry as it is then.
    const owner = orderKeyFromUserData(binding.userData);
    const unbind = () => unbindUnowned(ctx, pool, binding, "reconciler");
    const result =
      owner === undefined
        ? await unbind()
        : await ctx.orders.run(pool.id, owner, async () => {
            const e = await ctx.store.get(pool.id, owner);
            const mayOwn =
              e?.subscriptionId === binding.subscriptionId || (e?.x === binding.x && e.a === binding.a);
            return mayOwn ? "skipped" : unbind();
          });
    if (result === "released") {
      report.unboundOrphans++;
      ctx.events.emit("reconciled", {
        pool: pool.id,
        x: binding.x,
        action: "unboundOrphan",
        subscriptionId: binding.subscriptionId,
      });
    }
  };
  // Bound (or being released) since the first read: not unknown any more.
  const unknown = bindings.filter((b) => !owned.has(b.subscriptionId));
  // Each binding is settled under its own order's lock with a query of its own: several at once (a
  // rebuild after data loss settles every binding of the pool).
  await eachLimited(unknown, SETTLE_CONCURRENCY, settle);
}

/** Bindings settled at once by one reconcile (each its own order's lock and platform query). */
const SETTLE_CONCURRENCY = 16;

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Unbinds a binding an allocation found behind a conflict answer and fenced off (a `foreign` entry), as
 * the reconciler unbinds every binding no order owns; X and its users are freed once it is gone (a
 * failed unbind is queued like any other). False for order entries.
 */
async function unbindForeign(ctx: Context, pool: ParsedPool, e: Entry): Promise<boolean> {
  if (internalKind(e.orderKey) !== "foreign" || e.status !== "bound") return false;
  const released = await ctx.orders.run(pool.id, e.orderKey, async () => {
    const now = await ctx.store.get(pool.id, e.orderKey);
    if (now?.token !== e.token || now.status !== "bound") return false;
    return (await unbindAndFree(ctx, pool, now, "reconciler")) === "released";
  });
  if (released) {
    const { x, subscriptionId } = e;
    ctx.events.emit("reconciled", { pool: pool.id, x, action: "unboundOrphan", subscriptionId });
  }
  return released;
}

async function allBindings(ctx: Context, pool: ParsedPool, x: Phone): Promise<PlatformBinding[] | undefined> {
  const out: PlatformBinding[] = [];
  // Numbered pages (AXB, AX) until `total`; a cursor-paged listing (AXE) until no `nextCursor` follows.
  let at: { page?: number; cursor?: string } = firstPage(pool.mode);
  for (;;) {
    const outcome = await ctx.platform.queryX(pool.mode, x, at);
    if (outcome.kind === "notFound") return out;
    if (outcome.kind !== "ok") return undefined;
    const { bindings, total, nextCursor } = outcome.value;
    out.push(...bindings.filter((b) => b.x === x));
    if (nextCursor !== undefined && nextCursor !== at.cursor) at = { cursor: nextCursor };
    else if (at.page === undefined || bindings.length === 0 || out.length >= total) return out;
    else at = { page: at.page + 1 };
  }
}

/**
 * Makes a platform binding the store's: confirms the matching reservation, or records it when asked to.
 * `owned`: the reservation's own allocate confirmed it meanwhile; `no`: nothing took it (or it is gone);
 * `unsure`: the platform could not say whether it still exists (leave it for the next pass).
 */
async function adopt(
  ctx: Context,
  pool: ParsedPool,
  binding: PlatformBinding,
  reserved: Entry | undefined,
  options: ReconcileOptions,
): Promise<"adopted" | "owned" | "no" | "unsure"> {
  const untilMs = adoptedUntilMs(ctx, binding, options.adoptTtlSeconds);
  const orderKey =
    reserved?.orderKey ??
    orderKeyFromUserData(binding.userData) ??
    internalKey("adopted", binding.subscriptionId);
  if (reserved === undefined && !options.adoptUnknown) return "no";
  const result = await ctx.orders.run(
    pool.id,
    orderKey,
    async (): Promise<"adopted" | "owned" | "no" | "unsure"> => {
      // The listing is older than this lock: the order's own allocation may have undone the binding since
      // (it lost its lease), or its completion unbound it. Adopt only what the platform has now.
      const now = await ctx.platform.querySubscription(pool.mode, binding.subscriptionId);
      if (now.kind !== "ok") return "unsure";
      if (now.value === undefined) return "no";
      if (reserved === undefined) {
        return (await recordBinding(ctx, pool, orderKey, binding, untilMs)) ? "adopted" : "no";
      }
      // The allocate that reserved it may have finished while this waited for the order's lock.
      const current = await ctx.store.get(pool.id, orderKey);
      if (current?.subscriptionId === binding.subscriptionId) return "owned";
      const confirmed = await ctx.store.confirm({
        pool: pool.id,
        orderKey,
        token: reserved.token,
        subscriptionId: binding.subscriptionId,
        untilMs,
        nowMs: ctx.now(),
        adopt: true,
      });
      return confirmed === "ok" ? "adopted" : "no";
    },
  );
  if (result === "adopted")
    ctx.events.emit("adopted", {
      pool: pool.id,
      orderKey,
      x: binding.x,
      extension: binding.extension,
      subscriptionId: binding.subscriptionId,
      by: "reconciler",
    });
  return result;
}

/**
 * The platform decides where calls go: when its B for a known binding differs from the store's (a
 * reassign whose modify was never confirmed), the store follows it so the per-X rules hold what is real.
 */
async function followPlatformB(
  ctx: Context,
  pool: ParsedPool,
  entries: readonly Entry[],
  binding: PlatformBinding,
): Promise<boolean> {
  const e = entries.find((x) => x.subscriptionId === binding.subscriptionId);
  if (
    pool.mode !== "AXB" ||
    e === undefined ||
    binding.b === undefined ||
    (e.b === binding.b && e.previousB === undefined) ||
    e.a !== binding.a
  ) {
    return false;
  }
  return ctx.orders.run(pool.id, e.orderKey, async () => {
    // The listing may predate a reassign that finished while this waited for the lock: follow the
    // platform's B as it is now, not as it was listed.
    const now = await ctx.store.get(pool.id, e.orderKey);
    if (now?.token !== e.token || now.subscriptionId !== binding.subscriptionId) return false;
    const fresh = await ctx.platform.querySubscription(pool.mode, binding.subscriptionId);
    const b = fresh.kind === "ok" ? fresh.value?.b : undefined;
    if (b === undefined) return false;
    // A reassign whose modify was never confirmed holds both B. The platform has the new one: the
    // modify landed, keep it. It has the old one: the modify may still be on its way (sent by an
    // instance that lost the lock since), so both stay held until the next reassign settles it.
    if (now.previousB !== undefined) {
      return b === now.b && (await ctx.store.settleB(pool.id, e.orderKey, e.token, b)) === "ok";
    }
    if (now.b === b) return false;
    return (await ctx.store.changeB(pool.id, e.orderKey, e.token, b)) === "ok";
  });
}
