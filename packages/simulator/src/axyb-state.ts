/**
 * AXYB (§7) on the simulated platform: A's relation on X (AX) and B's on Y (YB) under one subscriptionId.
 * The platform's AXYB rules are unconfirmed; this simulator reads Huawei's usage notes as: an X carries
 * one A at a time (anyone calling X reaches A), one A holds at most 5 X, a Y may serve several bindings
 * (up to the number's capacity, default 5) as long as no A or B repeats on it, and a number serving as
 * X serves nothing else. A subscription carries one YB here. Bindings are `BindingRecord`s of the shared
 * state (`x`, `a`, and `y`, `b` while the YB is bound), so expiry, events and pushes work as in AXB.
 */
import { AX_MAX_NUMBERS_PER_A } from "./ax-state.js";
import { Code } from "./codes.js";
import type {
  AppState,
  AreaRequest,
  BindingAttributes,
  BindingRecord,
  PlatformState,
  Result,
} from "./state.js";

type NumberState = AppState["numbers"] extends Map<string, infer N> ? N : never;

/** AXYB attributes beyond the shared ones (echoed by the query). */
export interface AxybAttributes extends BindingAttributes {
  ybDuration?: number;
  preVoiceX?: string;
  preVoiceY?: string;
  areaMatchMode?: number;
}

export interface AxBindInput extends AreaRequest {
  readonly a: string;
  readonly x?: string;
  readonly durationSeconds: number;
  readonly ybDurationSeconds: number;
  readonly userData?: string;
  readonly attrs: AxybAttributes;
}

export interface YbBindInput extends AreaRequest {
  readonly subscriptionId: string;
  readonly b: string;
  readonly y?: string;
}

function fail<T>(code: string, detail?: string): Result<T> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}

/** Takes a binding's users and slot off a number it is on (AXYB's Y). */
export function forgetOn(
  n: { readonly subs: Set<string>; readonly users: Map<string, string> },
  binding: BindingRecord,
): void {
  n.subs.delete(binding.subscriptionId);
  for (const user of [binding.a, binding.b]) {
    if (user !== undefined && n.users.get(user) === binding.subscriptionId) n.users.delete(user);
  }
}

/** Whether a number serves as the X of a live binding (then it serves nothing else). */
function isX(app: AppState, n: NumberState): boolean {
  for (const id of n.subs) if (app.bindings.get(id)?.x === n.x) return true;
  return false;
}

/** Step one of a bind: A's relation on X (named, or picked by area). Answers the new subscription. */
export function bindAxybAx(state: PlatformState, app: AppState, req: AxBindInput): Result<BindingRecord> {
  if ((app.axByA.get(req.a)?.size ?? 0) >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
  let n: NumberState | undefined;
  if (req.x !== undefined) {
    n = app.numbers.get(req.x);
    if (!n) return fail(Code.axbNumberNotOfApp, `${req.x} is not a number of this app.`);
    if (n.status !== "normal") return fail(state.abnormalCode, `The number ${req.x} status is abnormal.`);
    if (n.subs.size > 0) return fail(Code.axbAlreadyBound, `The relation number ${req.x} has been bound.`);
  } else {
    n = state.pick(app, req, (c) => c.status === "normal" && c.subs.size === 0);
    if (!n) return fail(Code.axbNoIdleNumber);
  }
  const binding = state.create(app, n, req.a, undefined, req.durationSeconds, req.userData, req.attrs);
  n.users.set(req.a, binding.subscriptionId);
  let owned = app.axByA.get(req.a);
  if (!owned) {
    owned = new Set();
    app.axByA.set(req.a, owned);
  }
  owned.add(binding.subscriptionId);
  return { ok: true, value: binding };
}

/** Step two: B's relation on Y under an existing subscription (one YB per subscription here). */
export function bindAxybYb(state: PlatformState, app: AppState, req: YbBindInput): Result<BindingRecord> {
  const binding = live(state, app, req.subscriptionId);
  if (!binding) return fail(Code.recordNotFound);
  if (binding.y !== undefined)
    return fail(Code.axbAlreadyBound, "The subscription already has a YB relation.");
  if (req.b === binding.a) return fail(Code.invalidRequest, "B must differ from A.");
  const fits = (c: NumberState) =>
    c.x !== binding.x &&
    c.status === "normal" &&
    c.subs.size < c.capacity &&
    !c.users.has(binding.a) &&
    !c.users.has(req.b) &&
    !isX(app, c);
  let n: NumberState | undefined;
  if (req.y !== undefined) {
    n = app.numbers.get(req.y);
    if (!n) return fail(Code.axbNumberNotOfApp, `${req.y} is not a number of this app.`);
    if (n.status !== "normal") return fail(state.abnormalCode, `The number ${req.y} status is abnormal.`);
    if (n.subs.size >= n.capacity) return fail(Code.axbNumberFull);
    if (!fits(n)) return fail(Code.axbAlreadyBound, `The relation number ${req.y} has been bound.`);
  } else {
    n = state.pick(app, req, fits);
    if (!n) return fail(Code.axbNoIdleNumber);
  }
  binding.y = n.x;
  binding.b = req.b;
  n.subs.add(binding.subscriptionId);
  n.users.set(binding.a, binding.subscriptionId);
  n.users.set(req.b, binding.subscriptionId);
  state.emit({ type: "modified", binding });
  return { ok: true, value: binding };
}

/** Unbind (§7): the whole binding, or with `yNum` (wins) or `bNum` only its YB relation. */
export function unbindAxyb(
  state: PlatformState,
  app: AppState,
  req: { subscriptionId: string; yNum?: string; bNum?: string },
): Result<BindingRecord> {
  const binding = live(state, app, req.subscriptionId);
  if (!binding) return fail(Code.recordNotFound);
  if (req.yNum === undefined && req.bNum === undefined) {
    state.remove(binding, "unbind");
    return { ok: true, value: binding };
  }
  const named = req.yNum !== undefined ? binding.y === req.yNum : binding.b === req.bNum;
  if (binding.y === undefined || !named) return fail(Code.recordNotFound);
  dropYb(state, app, binding);
  return { ok: true, value: binding };
}

/** Query (§7): the bindings of a subscriptionId (wins) or on X (`relationNum`), 1-5 of them. */
export function queryAxyb(
  state: PlatformState,
  app: AppState,
  req: { subscriptionId?: string; relationNum?: string },
): Result<BindingRecord[]> {
  if (req.subscriptionId !== undefined) {
    const binding = live(state, app, req.subscriptionId);
    return binding ? { ok: true, value: [binding] } : fail(Code.recordNotFound);
  }
  if (req.relationNum === undefined)
    return fail(Code.invalidRequest, "subscriptionId or relationNum is required.");
  const n = app.numbers.get(req.relationNum);
  if (!n) return fail(Code.recordNotFound);
  const found: BindingRecord[] = [];
  for (const id of [...n.subs]) {
    const binding = live(state, app, id);
    if (binding?.x === n.x && found.length < 5) found.push(binding);
  }
  return found.length > 0 ? { ok: true, value: found } : fail(Code.recordNotFound);
}

/** A live binding of the app, with a YB whose own lifetime (`ybDuration`) ran out dropped first. */
function live(state: PlatformState, app: AppState, subscriptionId: string): BindingRecord | undefined {
  const binding = state.binding(app.config.appKey, subscriptionId);
  if (binding?.mode !== "AXYB") return undefined;
  const yb = (binding.attrs as AxybAttributes).ybDuration ?? 0;
  if (binding.y !== undefined && yb > 0 && binding.createdAtMs + yb * 1000 <= state.nowMs()) {
    dropYb(state, app, binding);
  }
  return binding;
}

function dropYb(state: PlatformState, app: AppState, binding: BindingRecord): void {
  const n = binding.y === undefined ? undefined : app.numbers.get(binding.y);
  if (n) forgetOn(n, binding);
  // A's relation on X stays.
  delete binding.y;
  delete binding.b;
  state.emit({ type: "modified", binding });
}
