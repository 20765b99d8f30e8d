/**
 * AX (§5) on the simulated platform: one A per X, one A on at most 5 X, and A's temporary callee.
 * Bindings live in {@link PlatformState}, like those of the other modes; `axByA` is shared with AXYB.
 */
import { Code } from "./codes.js";
import {
  type AppState,
  type AreaRequest,
  type BindingAttributes,
  type BindingRecord,
  fail,
  type NumberState,
  ok,
  type Page,
  type PlatformState,
  pageOf,
  type Result,
} from "./state.js";

/** AX: most X one A may hold (§5.4). */
export const AX_MAX_NUMBERS_PER_A = 5;

export interface AxBindInput extends AreaRequest {
  readonly a: string;
  readonly x?: string;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export function bindAx(state: PlatformState, app: AppState, req: AxBindInput): Result<BindingRecord> {
  const held = app.axByA.get(req.a)?.size ?? 0;
  let n: NumberState | undefined;
  if (req.x !== undefined) {
    n = app.numbers.get(req.x);
    if (!n) return fail(Code.axNumberNotOfApp, `privateNum ${req.x} is not a number of this app.`);
    if (n.status !== "normal") return fail(state.abnormalCode, `The number ${req.x} status is abnormal.`);
    if (n.subs.size > 0) return fail(Code.axNumberTaken);
    if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
  } else {
    if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
    n = state.pick(app, req, (c) => c.status === "normal" && c.subs.size === 0);
    if (!n) return fail(Code.axNoIdleNumber);
  }
  const binding = state.create(app, n, req.a, undefined, 0, req.userData, req.attrs);
  let set = app.axByA.get(req.a);
  if (!set) {
    set = new Set();
    app.axByA.set(req.a, set);
  }
  set.add(binding.subscriptionId);
  return ok(binding);
}

/** Finds an AX binding by subscriptionId (wins) or privateNum (optionally checked against origNum). */
export function findAx(
  app: AppState,
  req: { subscriptionId?: string; x?: string; a?: string },
): Result<BindingRecord> {
  if (req.subscriptionId !== undefined) {
    const binding = app.bindings.get(req.subscriptionId);
    return binding ? ok(binding) : fail(Code.recordNotFound);
  }
  if (req.x === undefined) return fail(Code.invalidRequest, "subscriptionId or privateNum is required.");
  const n = app.numbers.get(req.x);
  if (!n) return fail(Code.axNumberNotApplied);
  const id = n.subs.values().next().value;
  const binding = id === undefined ? undefined : app.bindings.get(id);
  if (!binding || (req.a !== undefined && binding.a !== req.a)) return fail(Code.recordNotFound);
  return ok(binding);
}

export function unbindAx(
  state: PlatformState,
  app: AppState,
  req: { subscriptionId?: string; x?: string; a?: string },
): Result<BindingRecord> {
  const found = findAx(app, req);
  if (found.ok) state.remove(found.value, "unbind");
  return found;
}

export function modifyAx(
  state: PlatformState,
  app: AppState,
  req: { subscriptionId?: string; x?: string; a?: string; userData?: string; attrs: BindingAttributes },
): Result<BindingRecord> {
  const found = findAx(app, { subscriptionId: req.subscriptionId, x: req.x });
  if (!found.ok) return found;
  const binding = found.value;
  if (req.a !== undefined && req.a !== binding.a) {
    const held = app.axByA.get(req.a)?.size ?? 0;
    if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
    forgetAxOwner(app, binding);
    binding.a = req.a;
    // The temporary callee was set for the previous A's next call (and may even be the new A).
    delete binding.tempCallee;
    let set = app.axByA.get(req.a);
    if (!set) {
      set = new Set();
      app.axByA.set(req.a, set);
    }
    set.add(binding.subscriptionId);
  }
  state.applyCommon(binding, req.userData, req.attrs);
  state.emit({ type: "modified", binding });
  return ok(binding);
}

/** AX query: subscriptionId > origNum > privateNum; nothing found is 1016001 (§16), never an empty list. */
export function queryAx(
  app: AppState,
  req: { subscriptionId?: string; a?: string; x?: string },
  page: { index: number; size: number },
): Result<Page> {
  if (req.subscriptionId === undefined && req.a !== undefined) {
    const ids = app.axByA.get(req.a);
    if (!ids || ids.size === 0) return fail(Code.recordNotFound);
    return ok(pageOf(app, ids, page));
  }
  const found = findAx(app, req);
  if (!found.ok) return found.code === Code.invalidRequest ? found : fail(Code.recordNotFound);
  return ok({ items: [found.value], total: 1 });
}

/** AX temporary callee (§5.3): the callee of A's next call, valid for durationSeconds. */
export function setTemporaryCallee(
  state: PlatformState,
  app: AppState,
  req: {
    subscriptionId?: string;
    x?: string;
    calleeNum: string;
    durationSeconds: number;
    userData?: string;
  },
): Result<BindingRecord> {
  const found = findAx(app, { subscriptionId: req.subscriptionId, x: req.x });
  if (!found.ok) return found;
  const binding = found.value;
  if (binding.a === req.calleeNum) return fail(Code.invalidRequest, "calleeNum must differ from origNum.");
  binding.tempCallee = {
    calleeNum: req.calleeNum,
    expiresAtMs: state.nowMs() + req.durationSeconds * 1000,
    ...(req.userData === undefined ? {} : { userData: req.userData }),
  };
  return ok(binding);
}

/** Drops a binding from its A's AX holdings; shared with the core's remove (AX and AXYB). */
export function forgetAxOwner(app: AppState, binding: BindingRecord): void {
  const set = app.axByA.get(binding.a);
  set?.delete(binding.subscriptionId);
  if (set?.size === 0) app.axByA.delete(binding.a);
}
