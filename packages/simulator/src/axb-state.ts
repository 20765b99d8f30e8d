/**
 * AXB (§4) on the simulated platform: A and B paired on X, each user at most once per X, up to X's
 * capacity of pairs. Bindings live in {@link PlatformState}, like those of the other modes.
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

/** AXB default pairs per X (§4.5). */
export const DEFAULT_AXB_CAPACITY = 5000;

export interface AxbBindInput extends AreaRequest {
  readonly a: string;
  readonly b: string;
  readonly x?: string;
  readonly durationSeconds: number;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export function bindAxb(state: PlatformState, app: AppState, req: AxbBindInput): Result<BindingRecord> {
  if (req.a === req.b) return fail(Code.invalidRequest, "callerNum and calleeNum must differ.");
  let n: NumberState | undefined;
  if (req.x !== undefined) {
    n = app.numbers.get(req.x);
    if (!n) return fail(Code.axbNumberNotOfApp, `relationNum ${req.x} is not a number of this app.`);
    if (n.status !== "normal") return fail(state.abnormalCode, `The number ${req.x} status is abnormal.`);
    if (n.users.has(req.a)) return fail(Code.axbAlreadyBound, `The number ${req.a} has been bound.`);
    if (n.users.has(req.b)) return fail(Code.axbAlreadyBound, `The number ${req.b} has been bound.`);
    if (n.subs.size >= n.capacity) return fail(Code.axbNumberFull);
  } else {
    const { a, b } = req;
    n = state.pick(
      app,
      req,
      (c) => c.status === "normal" && c.subs.size < c.capacity && !c.users.has(a) && !c.users.has(b),
    );
    if (!n) return fail(Code.axbNoIdleNumber);
  }
  const binding = state.create(app, n, req.a, req.b, req.durationSeconds, req.userData, req.attrs);
  n.users.set(req.a, binding.subscriptionId);
  n.users.set(req.b, binding.subscriptionId);
  return ok(binding);
}

/** AXB unbind (§4.2): by subscriptionId, or every binding on relationNum (narrowed by callerNum/calleeNum). */
export function unbindAxb(
  state: PlatformState,
  app: AppState,
  req: { subscriptionId?: string; x?: string; a?: string; b?: string },
): Result<BindingRecord[]> {
  if (req.subscriptionId !== undefined) {
    const binding = app.bindings.get(req.subscriptionId);
    if (!binding) return fail(Code.axbRecordNotFound);
    state.remove(binding, "unbind");
    return ok([binding]);
  }
  if (req.x === undefined) return fail(Code.invalidRequest, "subscriptionId or relationNum is required.");
  const n = app.numbers.get(req.x);
  if (!n) return fail(Code.axbNumberNotOfApp);
  if (req.a !== undefined || req.b !== undefined) {
    const binding = findOnX(app, n, req.a, req.b);
    if (!binding) return fail(Code.axbRecordNotFound);
    state.remove(binding, "unbind");
    return ok([binding]);
  }
  if (n.subs.size === 0) return fail(Code.axbRecordNotFound);
  const removed: BindingRecord[] = [];
  for (const id of [...n.subs]) {
    const binding = app.bindings.get(id);
    if (binding) {
      state.remove(binding, "unbind");
      removed.push(binding);
    }
  }
  return ok(removed);
}

/** AXB modify (§4.3): new A/B must not be used by another binding on the X; duration counts from now. */
export function modifyAxb(
  state: PlatformState,
  app: AppState,
  req: {
    subscriptionId: string;
    a?: string;
    b?: string;
    durationSeconds?: number;
    userData?: string;
    attrs: BindingAttributes;
  },
): Result<BindingRecord> {
  const binding = app.bindings.get(req.subscriptionId);
  if (!binding) return fail(Code.axbRecordNotFound);
  const n = app.numbers.get(binding.x)!;
  const a = req.a ?? binding.a;
  const b = req.b ?? binding.b ?? "";
  if (a === b) return fail(Code.invalidRequest, "callerNum and calleeNum must differ.");
  for (const user of [a, b]) {
    const holder = n.users.get(user);
    if (holder !== undefined && holder !== binding.subscriptionId) {
      return fail(Code.axbAlreadyBound, `The number ${user} has been bound.`);
    }
  }
  n.users.delete(binding.a);
  if (binding.b !== undefined) n.users.delete(binding.b);
  binding.a = a;
  binding.b = b;
  n.users.set(a, binding.subscriptionId);
  n.users.set(b, binding.subscriptionId);
  if (req.durationSeconds !== undefined) state.setDuration(binding, req.durationSeconds);
  state.applyCommon(binding, req.userData, req.attrs);
  state.emit({ type: "modified", binding });
  return ok(binding);
}

/** AXB query (§4.4): by subscriptionId, by X (paged, optionally narrowed to A/B), or by A+B over all X. */
export function queryAxb(
  app: AppState,
  req: { subscriptionId?: string; x?: string; a?: string; b?: string },
  page: { index: number; size: number },
): Result<Page> {
  if (req.subscriptionId !== undefined) {
    const binding = app.bindings.get(req.subscriptionId);
    return binding ? ok({ items: [binding], total: 1 }) : fail(Code.axbRecordNotFound);
  }
  if (req.x !== undefined) {
    const n = app.numbers.get(req.x);
    if (!n) return fail(Code.axbNumberNotOfApp);
    if (req.a !== undefined || req.b !== undefined) {
      const binding = findOnX(app, n, req.a, req.b);
      return binding ? ok({ items: [binding], total: 1 }) : fail(Code.axbRecordNotFound);
    }
    return ok(pageOf(app, n.subs, page));
  }
  if (req.a === undefined && req.b === undefined) {
    return fail(Code.invalidRequest, "subscriptionId, relationNum, callerNum or calleeNum is required.");
  }
  // Rare shape (no relationNum): a scan is acceptable on the query path only.
  const ids = new Set<string>();
  for (const binding of app.bindings.values()) {
    if ((req.a === undefined || binding.a === req.a) && (req.b === undefined || binding.b === req.b)) {
      ids.add(binding.subscriptionId);
    }
  }
  if (ids.size === 0) return fail(Code.axbRecordNotFound);
  return ok(pageOf(app, ids, page));
}

function findOnX(app: AppState, n: NumberState, a?: string, b?: string): BindingRecord | undefined {
  const id = n.users.get((a ?? b)!);
  const binding = id === undefined ? undefined : app.bindings.get(id);
  if (!binding) return undefined;
  if (a !== undefined && binding.a !== a) return undefined;
  if (b !== undefined && binding.b !== b) return undefined;
  return binding;
}
