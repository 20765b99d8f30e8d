import type { Failure } from "../driver/index.js";
import {
  LeaseLostError,
  OrderConflictError,
  OrderPendingError,
  PlatformAuthError,
  PlatformRejectedError,
  PlatformUnavailableError,
  PoolExhaustedError,
  StoreRecoveringError,
  UserLimitError,
} from "../errors/index.js";
import {
  type AllocateRequestSchema,
  type Binding,
  type Entry,
  mask,
  type Phone,
  toBinding,
  userDataFor,
} from "../model/index.js";
import { assertLockHeld } from "../orders/serialiser.js";
import { settleLapsedReservation } from "../repair/adoption.js";
import type { Context } from "../repair/context.js";
import { fenceBlockers } from "../repair/fencing.js";
import { unbindUnowned } from "../repair/outbox.js";
import { entryNumbersOf } from "../rules/index.js";
import type { ParsedPool, Tuning } from "../runtime/tuning.js";

/** A parsed allocate request. */
export type AllocateInput = ReturnType<typeof AllocateRequestSchema.parse>;

/** What a bind attempt on one X came to. */
type Attempt =
  | { kind: "bound"; binding: Binding }
  | { kind: "next"; failure: Failure } // try another X
  | { kind: "fatal"; error: Error };

/** Platform answers worth the same call again after a pause. */
export const TRANSIENT = new Set(["transient", "rateLimited", "timeout"]);

/**
 * Reserves an X for the request, binds it at the platform and confirms it, moving to another X on
 * exhaustion and conflict answers (at most `maxAttempts` X). Call it under the order's lock.
 */
export async function allocateOnce(
  ctx: Context,
  pool: ParsedPool,
  req: AllocateInput,
  initialExclude: Phone[],
): Promise<Binding> {
  const { store, tuning, now } = ctx;
  const started = now();
  const exclude = [...initialExclude];
  const deadline = started + (tuning.pendingWaitMs ?? tuning.leaseMs);
  let lastFailure = "no X matched the pair";
  for (let attempt = 1; attempt <= tuning.maxAttempts; ) {
    const reserved = await store.reserve({
      pool: pool.id,
      orderKey: req.orderKey,
      a: req.a,
      b: req.b,
      area: req.area,
      preferX: req.preferX,
      exclude,
      strategy: tuning.strategy,
      leaseMs: tuning.leaseMs,
      nowMs: now(),
    });
    if (!reserved.ok) {
      if (reserved.reason === "userLimit") {
        throw new UserLimitError(
          `${mask(req.a)} already holds the most X numbers its mode allows in pool "${pool.id}". Complete one of its orders first.`,
        );
      }
      if (reserved.reason === "recovering") throw new StoreRecoveringError(pool.id);
      throw new PoolExhaustedError(pool.id, lastFailure, attempt - 1);
    }
    const entry = reserved.entry;
    if (reserved.existing) {
      if (entry.a !== req.a || entry.b !== req.b) {
        throw new OrderConflictError(req.orderKey, `for another pair (${mask(entry.a)}/${mask(entry.b)})`);
      }
      if (entry.status === "bound") return toBinding(entry);
      if (entry.status === "releasing") throw new OrderConflictError(req.orderKey, "and is being completed");
      // This call holds the order's lock, so no live caller is binding the reservation: its holder died
      // or gave up with the bind's outcome unknown. Settle it now (adopt the binding or free X) instead
      // of waiting for its lease. Without a lock shared by all instances, another instance may be
      // binding it: wait for its lease.
      if (ctx.orders.shared || entry.untilMs <= now()) {
        if ((await settleLapsedReservation(ctx, pool, entry)) === "adopted") continue;
        if ((await store.get(pool.id, req.orderKey)) === undefined) continue;
        // The platform cannot say whether the bind went through: the caller retries later.
        if (ctx.orders.shared) throw new OrderPendingError(req.orderKey, now() - started, tuning.lockTtlMs);
      }
      if (now() >= deadline) {
        throw new OrderPendingError(req.orderKey, now() - started, Math.max(1, entry.untilMs - now()));
      }
      await ctx.scheduler.sleep(Math.min(50, Math.max(1, deadline - now())));
      continue; // another caller is binding it; look again
    }
    const result = await bindReserved(ctx, pool, req, entry);
    if (result.kind === "bound") {
      ctx.events.emit("allocated", {
        binding: result.binding,
        attempts: attempt,
        latencyMs: now() - started,
      });
      return result.binding;
    }
    if (result.kind === "fatal") throw result.error;
    lastFailure = `last answer ${result.failure.kind} ${result.failure.code} on ${entry.x}`;
    // AXYB: the answer may be about either number; both are left out of the next try.
    exclude.push(entry.x, ...(entry.y === undefined ? [] : [entry.y]));
    attempt++;
  }
  throw new PoolExhaustedError(pool.id, lastFailure, tuning.maxAttempts);
}

/** Binds a reserved X at the platform and confirms it, or cleans up and says what to do next. */

/** Binds a reserved X at the platform and confirms it, or cleans up and says what to do next. */
async function bindReserved(
  ctx: Context,
  pool: ParsedPool,
  req: AllocateInput,
  entry: Entry,
): Promise<Attempt> {
  const { store, tuning, now } = ctx;
  const durationSeconds = req.ttlSeconds + tuning.graceSeconds;
  // The orderKey rides along as userData (unless the caller sets its own) so a reconcile can rebuild orders.
  const userData = req.userData ?? userDataFor(req.orderKey);
  const bind = () =>
    ctx.platform.withRetries(entry, () => ctx.platform.bind(pool, entry, durationSeconds, userData));
  let outcome = await bind();
  // A timeout, or a conflict (maybe after a retry whose first try went through before the connection
  // dropped), may mean our own bind exists: look before binding again or moving on.
  for (let i = 0; outcome.kind === "timeout" || outcome.kind === "conflict"; i++) {
    const found = await ctx.platform.findBinding(pool.mode, entry);
    // The platform cannot say: keep the reservation; its lease ends and the sweeper asks again.
    if (found.kind !== "ok") return { kind: "fatal", error: new PlatformUnavailableError(found, i + 1) };
    if (found.value !== undefined) {
      outcome = { kind: "ok", value: { subscriptionId: found.value.subscriptionId, x: entry.x } };
      break;
    }
    if (outcome.kind === "conflict") break; // another binding holds a user of the pair on X
    if (i >= tuning.transientRetries) {
      // Still unknown: keep the reservation; its lease ends and the sweeper asks the platform again.
      return { kind: "fatal", error: new PlatformUnavailableError(outcome, i + 1) };
    }
    outcome = await bind();
  }

  if (outcome.kind === "ok") {
    const subscriptionId = outcome.value.subscriptionId;
    const untilMs = now() + durationSeconds * 1000;
    const binding: Binding = {
      pool: pool.id,
      orderKey: req.orderKey,
      x: entry.x,
      a: req.a,
      b: req.b,
      ...(entry.extension === undefined ? {} : { extension: entry.extension }),
      ...(entry.y === undefined ? {} : { y: entry.y }),
      subscriptionId,
      expiresAtMs: untilMs,
    };
    const confirm = (adopt: boolean) =>
      store.confirm({
        pool: pool.id,
        orderKey: req.orderKey,
        token: entry.token,
        subscriptionId,
        untilMs,
        nowMs: now(),
        adopt,
      });
    // A call that lost the order's lock writes nothing more: the new holder settles the reservation.
    assertLockHeld(tuning.lockTtlMs);
    if ((await confirm(false)) === "ok") return { kind: "bound", binding };
    // The lease ended before the answer came. Nobody took the reservation over (same token, still
    // reserved): the binding is the order's; adopt it.
    if ((await confirm(true)) === "ok") return { kind: "bound", binding };
    // Taken over: never keep a binding the store does not own.
    const { x, a, b, extension, y } = entry;
    await unbindUnowned(ctx, pool, { x, a, b, extension, y, subscriptionId }, "orphan");
    ctx.events.emit("leaseLost", { pool: pool.id, orderKey: req.orderKey, x, extension });
    return { kind: "fatal", error: new LeaseLostError(req.orderKey) };
  }

  await store.release(pool.id, req.orderKey, entry.token);
  const failure = outcome;
  const retried = () =>
    ctx.events.emit("retried", {
      pool: pool.id,
      orderKey: req.orderKey,
      x: entry.x,
      reason: failure.kind,
      code: failure.code,
    });
  switch (failure.kind) {
    case "conflict":
      // A binding the store does not know holds a user of the pair on X (our own was ruled out above):
      // fence that user off X and leave X to everyone else; if that fails, cool X down like a full one.
      if (!(await fenceBlockers(ctx, pool, entry))) {
        await store.cooldown(pool.id, entry.x, now() + tuning.cooldownMs);
      }
      retried();
      return { kind: "next", failure };
    case "exhausted":
      // Full: keep X out of picks for a while instead of every next pair trying it (AXYB: X and Y; the
      // answer does not say which one is full).
      for (const n of entryNumbersOf(entry)) await store.cooldown(pool.id, n, now() + tuning.cooldownMs);
      retried();
      return { kind: "next", failure };
    case "numberAbnormal": {
      const untilMs = tuning.quarantineMs > 0 ? now() + tuning.quarantineMs : undefined;
      await store.setNumberState(pool.id, entry.x, "quarantined", untilMs);
      ctx.events.emit("quarantined", { pool: pool.id, x: entry.x, code: failure.code, untilMs });
      retried();
      return { kind: "next", failure };
    }
    case "userLimit":
      return {
        kind: "fatal",
        error: new UserLimitError(
          `The platform says ${mask(req.a)} already holds the most X numbers allowed (${failure.code}: ${failure.message}).`,
        ),
      };
    default:
      return { kind: "fatal", error: platformError(failure, tuning) };
  }
}

/** The error a platform failure that ends the call leaves as. */
export function platformError(failure: Failure, tuning: Tuning): Error {
  if (failure.kind === "auth") return new PlatformAuthError(failure);
  if (TRANSIENT.has(failure.kind)) return new PlatformUnavailableError(failure, tuning.transientRetries + 1);
  return new PlatformRejectedError(failure);
}
