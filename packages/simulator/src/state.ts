import { randomUUID } from "node:crypto";
import { type AxeSettings, AxeState, axeNumberLimits } from "./axe-state.js";
import { forgetOn } from "./axyb-state.js";
import { Code } from "./codes.js";
import { ExpiryQueue } from "./expiry-queue.js";

/** `X`: the platform keeps no bindings and asks the app per call (§8, `x-mode.ts`). */
export type Mode = "AXB" | "AX" | "AXE" | "AXYB" | "X";
/**
 * X number status (§11.3): `normal` (5); `paused` (9) and `abnormal` (10, "unavailable"): no binds, calls
 * or SMS; `frozen` (11): no new binds, existing bindings still call.
 */
export type NumberStatus = "normal" | "paused" | "abnormal" | "frozen";

/** The platform's status code of each {@link NumberStatus}, as X status pushes carry it. */
export const NUMBER_STATUS_CODE: Readonly<Record<NumberStatus, 5 | 9 | 10 | 11>> = {
  normal: 5,
  paused: 9,
  abnormal: 10,
  frozen: 11,
};

/** One X number owned by an app. */
export interface NumberConfig {
  /** The privacy number in global format, e.g. `+8613800000001`. */
  readonly x: string;
  /** City code used by `areaCode` selection, e.g. `0755`. */
  readonly city?: string;
  /** Province used by the `areaMatchMode=1` fallback, e.g. `GD`. */
  readonly province?: string;
  /**
   * AXB pairs (default 5000) or AXE bindings (default 200, at most the extensions of `extensionDigits`)
   * this X may carry at once; ignored for AX (always one A).
   */
  readonly capacity?: number;
  readonly status?: NumberStatus;
  /** AXE: the length of X's extensions, 1-4 digits (9, 99, 999 or 9 999 extensions). @default 4 */
  readonly extensionDigits?: number;
}

/** One platform app: credentials, its single mode, and its X numbers. */
export interface AppConfig {
  readonly appKey: string;
  readonly appSecret: string;
  readonly mode: Mode;
  readonly numbers: readonly NumberConfig[];
  /**
   * AXE: whether one A may be bound behind two extensions of the same X (unconfirmed at the platform).
   * @default false (the second bind answers `1012010`)
   */
  readonly allowRepeatedA?: boolean;
  /**
   * Whether the app has the recording function: a bind or modify with `recordFlag` true on an app without
   * it gets `1012012`.
   * @default true
   */
  readonly recording?: boolean;
  /**
   * Audio files approved in the console: a bind or modify naming another one as a tone (`recordHintTone`,
   * `lastMinVoice`, `preVoice`, AXE `callbackTone`) gets `1010002`. Absent: every name is accepted.
   */
  readonly approvedToneFiles?: readonly string[];
}

/** Optional per-binding attributes echoed back by bind and query. */
export interface BindingAttributes {
  callDirection?: number;
  maxDuration?: number;
  recordFlag?: boolean;
  recordHintTone?: string;
  lastMinVoice?: string;
  privateSms?: boolean;
  preVoice?: { callerHintTone?: string; calleeHintTone?: string };
  calleeNumDisplay?: string;
  turnFlag?: string;
}

/** A live binding as the simulated platform holds it. */
export interface BindingRecord {
  readonly appKey: string;
  readonly mode: Mode;
  readonly subscriptionId: string;
  readonly x: string;
  a: string;
  b?: string;
  /** AXYB: the number A calls to reach B (the YB relation, with `b`); absent once the YB is unbound. */
  y?: string;
  /** Lifetime in seconds; 0 = permanent. */
  durationSeconds: number;
  readonly createdAtMs: number;
  expiresAtMs?: number;
  userData?: string;
  attrs: BindingAttributes;
  /** AX: the callee of A's next call through X (§5.3); one per binding, the next set overwrites it. */
  tempCallee?: { calleeNum: string; expiresAtMs: number; userData?: string };
  /** AXE: the extension behind X that reaches A (digits, zero-padded to X's extension length). */
  extension?: string;
  /** AXE: the binding's call-back and lifetime settings (§6.1). */
  axe?: AxeSettings;
  live: boolean;
}

/** Something that changed in the platform state; the hook for notification pushes. */
export type StateEvent =
  | { readonly type: "bound"; readonly binding: BindingRecord }
  | { readonly type: "modified"; readonly binding: BindingRecord }
  | { readonly type: "unbound"; readonly binding: BindingRecord; readonly reason: "unbind" | "expired" }
  | {
      readonly type: "numberStatus";
      readonly appKey: string;
      readonly x: string;
      readonly status: NumberStatus;
      /** Why the number is unavailable (§11.3 cause), when given. */
      readonly cause?: number;
    };

export type Result<T> = { ok: true; value: T } | { ok: false; code: string; detail?: string };

export interface NumberState {
  readonly x: string;
  readonly city: string;
  readonly province: string;
  readonly capacity: number;
  /** AXE: the length of X's extensions (0 for other modes). */
  readonly extensionDigits: number;
  status: NumberStatus;
  /** subscriptionIds of the bindings on this X, in creation order. */
  readonly subs: Set<string>;
  /** AXB, AXE: user number (A or B) -> subscriptionId of the (latest) binding that uses it on this X. */
  readonly users: Map<string, string>;
}

/** Rotating index over a list of X so area selection spreads bindings without scanning from the start. */
class NumberRing {
  readonly list: NumberState[] = [];
  private next = 0;

  find(fits: (n: NumberState) => boolean): NumberState | undefined {
    const len = this.list.length;
    for (let k = 0; k < len; k++) {
      const i = (this.next + k) % len;
      const n = this.list[i]!;
      if (fits(n)) {
        this.next = (i + 1) % len;
        return n;
      }
    }
    return undefined;
  }
}

export interface AppState {
  readonly config: AppConfig;
  readonly mode: Mode;
  readonly numbers: Map<string, NumberState>;
  readonly byCity: Map<string, NumberRing>;
  readonly byProvince: Map<string, NumberRing>;
  readonly any: NumberRing;
  readonly bindings: Map<string, BindingRecord>;
  /** AX: A number -> subscriptionIds of its bindings. */
  readonly axByA: Map<string, Set<string>>;
}

/** AXB default pairs per X (§4.5). */
export const DEFAULT_AXB_CAPACITY = 5000;
/** AX: most X one A may hold (§5.4). */
export const AX_MAX_NUMBERS_PER_A = 5;

export interface AreaRequest {
  readonly areaCode?: string;
  /** 0 strict (default), 1 fall back to the same province, then any X of the app. */
  readonly areaMatchMode?: 0 | 1;
}

export interface AxbBindInput extends AreaRequest {
  readonly a: string;
  readonly b: string;
  readonly x?: string;
  readonly durationSeconds: number;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export interface AxBindInput extends AreaRequest {
  readonly a: string;
  readonly x?: string;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export interface Page {
  readonly items: BindingRecord[];
  readonly total: number;
}

function fail<T>(code: string, detail?: string): Result<T> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** The whole simulated platform: apps, numbers, bindings, expiry. All rule checks are O(1) per X. */
export class PlatformState {
  private readonly apps = new Map<string, AppState>();
  private readonly all = new Map<string, BindingRecord>();
  private readonly expiry = new ExpiryQueue();
  private readonly listeners = new Set<(event: StateEvent) => void>();
  /** AXE rules and state (extensions, cursor order, call-back records), kept in their own module. */
  readonly axe: AxeState;

  constructor(
    apps: readonly AppConfig[],
    readonly nowMs: () => number,
    /** Result code for binds on an abnormal X. */
    readonly abnormalCode: string = Code.blacklisted,
    /** AXE: result code of a bind naming an extension already in use on that X. */
    extensionTakenCode: string = Code.axbAlreadyBound,
  ) {
    this.axe = new AxeState(this, extensionTakenCode);
    const owners = new Map<string, string>();
    for (const config of apps) {
      if (this.apps.has(config.appKey)) throw new Error(`duplicate appKey "${config.appKey}"`);
      const app: AppState = {
        config,
        mode: config.mode,
        numbers: new Map(),
        byCity: new Map(),
        byProvince: new Map(),
        any: new NumberRing(),
        bindings: new Map(),
        axByA: new Map(),
      };
      for (const n of config.numbers) {
        const owner = owners.get(n.x);
        if (owner !== undefined)
          throw new Error(`number ${n.x} is configured twice (apps ${owner}, ${config.appKey})`);
        owners.set(n.x, config.appKey);
        const axe = config.mode === "AXE" ? axeNumberLimits(n) : undefined;
        if (config.mode !== "AXE" && n.extensionDigits !== undefined)
          throw new Error(`number ${n.x}: only AXE numbers have extensionDigits (app ${config.appKey})`);
        const state: NumberState = {
          x: n.x,
          city: n.city ?? "",
          province: n.province ?? "",
          capacity:
            axe?.capacity ??
            (config.mode === "AX" ? 1 : (n.capacity ?? (config.mode === "AXYB" ? 5 : DEFAULT_AXB_CAPACITY))),
          extensionDigits: axe?.digits ?? 0,
          status: n.status ?? "normal",
          subs: new Set(),
          users: new Map(),
        };
        app.numbers.set(n.x, state);
        app.any.list.push(state);
        ringFor(app.byCity, state.city).list.push(state);
        ringFor(app.byProvince, state.province).list.push(state);
      }
      this.apps.set(config.appKey, app);
    }
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onEvent(listener: (event: StateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  app(appKey: string): AppState | undefined {
    return this.apps.get(appKey);
  }

  appKeys(): string[] {
    return [...this.apps.keys()];
  }

  /** Removes bindings whose duration has passed (by the injected clock). */
  sweep(): void {
    if (this.expiry.size === 0) return;
    const now = this.nowMs();
    for (const { expiresAtMs, id } of this.expiry.popDue(now)) {
      const binding = this.all.get(id);
      if (binding?.live && binding.expiresAtMs === expiresAtMs) this.remove(binding, "expired");
    }
  }

  /** Live bindings, optionally of one app, in creation order. */
  list(appKey?: string): BindingRecord[] {
    this.sweep();
    if (appKey === undefined) return [...this.all.values()];
    return [...(this.apps.get(appKey)?.bindings.values() ?? [])];
  }

  setNumberStatus(appKey: string, x: string, status: NumberStatus, cause?: number): void {
    const n = this.requireNumber(appKey, x);
    n.status = status;
    this.emit({ type: "numberStatus", appKey, x, status, ...(cause === undefined ? {} : { cause }) });
  }

  numberStatus(appKey: string, x: string): NumberStatus {
    return this.requireNumber(appKey, x).status;
  }

  /** A live binding of an app, or undefined. */
  binding(appKey: string, subscriptionId: string): BindingRecord | undefined {
    this.sweep();
    return this.apps.get(appKey)?.bindings.get(subscriptionId);
  }

  private requireNumber(appKey: string, x: string): NumberState {
    const n = this.apps.get(appKey)?.numbers.get(x);
    if (!n) throw new Error(`number ${x} is not configured for app "${appKey}"`);
    return n;
  }

  // ---- AXB ----------------------------------------------------------------------------------

  bindAxb(app: AppState, req: AxbBindInput): Result<BindingRecord> {
    if (req.a === req.b) return fail(Code.invalidRequest, "callerNum and calleeNum must differ.");
    let n: NumberState | undefined;
    if (req.x !== undefined) {
      n = app.numbers.get(req.x);
      if (!n) return fail(Code.axbNumberNotOfApp, `relationNum ${req.x} is not a number of this app.`);
      if (n.status !== "normal") return fail(this.abnormalCode, `The number ${req.x} status is abnormal.`);
      if (n.users.has(req.a)) return fail(Code.axbAlreadyBound, `The number ${req.a} has been bound.`);
      if (n.users.has(req.b)) return fail(Code.axbAlreadyBound, `The number ${req.b} has been bound.`);
      if (n.subs.size >= n.capacity) return fail(Code.axbNumberFull);
    } else {
      const { a, b } = req;
      n = this.pick(
        app,
        req,
        (c) => c.status === "normal" && c.subs.size < c.capacity && !c.users.has(a) && !c.users.has(b),
      );
      if (!n) return fail(Code.axbNoIdleNumber);
    }
    const binding = this.create(app, n, req.a, req.b, req.durationSeconds, req.userData, req.attrs);
    n.users.set(req.a, binding.subscriptionId);
    n.users.set(req.b, binding.subscriptionId);
    return ok(binding);
  }

  /** AXB unbind (§4.2): by subscriptionId, or every binding on relationNum (narrowed by callerNum/calleeNum). */
  unbindAxb(
    app: AppState,
    req: { subscriptionId?: string; x?: string; a?: string; b?: string },
  ): Result<BindingRecord[]> {
    if (req.subscriptionId !== undefined) {
      const binding = app.bindings.get(req.subscriptionId);
      if (!binding) return fail(Code.axbRecordNotFound);
      this.remove(binding, "unbind");
      return ok([binding]);
    }
    if (req.x === undefined) return fail(Code.invalidRequest, "subscriptionId or relationNum is required.");
    const n = app.numbers.get(req.x);
    if (!n) return fail(Code.axbNumberNotOfApp);
    if (req.a !== undefined || req.b !== undefined) {
      const binding = this.findOnX(app, n, req.a, req.b);
      if (!binding) return fail(Code.axbRecordNotFound);
      this.remove(binding, "unbind");
      return ok([binding]);
    }
    if (n.subs.size === 0) return fail(Code.axbRecordNotFound);
    const removed: BindingRecord[] = [];
    for (const id of [...n.subs]) {
      const binding = app.bindings.get(id);
      if (binding) {
        this.remove(binding, "unbind");
        removed.push(binding);
      }
    }
    return ok(removed);
  }

  /** AXB modify (§4.3): new A/B must not be used by another binding on the X; duration counts from now. */
  modifyAxb(
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
    if (req.durationSeconds !== undefined) this.setDuration(binding, req.durationSeconds);
    this.applyCommon(binding, req.userData, req.attrs);
    this.emit({ type: "modified", binding });
    return ok(binding);
  }

  /** AXB query (§4.4): by subscriptionId, by X (paged, optionally narrowed to A/B), or by A+B over all X. */
  queryAxb(
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
        const binding = this.findOnX(app, n, req.a, req.b);
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

  private findOnX(app: AppState, n: NumberState, a?: string, b?: string): BindingRecord | undefined {
    const id = n.users.get((a ?? b)!);
    const binding = id === undefined ? undefined : app.bindings.get(id);
    if (!binding) return undefined;
    if (a !== undefined && binding.a !== a) return undefined;
    if (b !== undefined && binding.b !== b) return undefined;
    return binding;
  }

  // ---- AX -----------------------------------------------------------------------------------

  bindAx(app: AppState, req: AxBindInput): Result<BindingRecord> {
    const held = app.axByA.get(req.a)?.size ?? 0;
    let n: NumberState | undefined;
    if (req.x !== undefined) {
      n = app.numbers.get(req.x);
      if (!n) return fail(Code.axNumberNotOfApp, `privateNum ${req.x} is not a number of this app.`);
      if (n.status !== "normal") return fail(this.abnormalCode, `The number ${req.x} status is abnormal.`);
      if (n.subs.size > 0) return fail(Code.axNumberTaken);
      if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
    } else {
      if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
      n = this.pick(app, req, (c) => c.status === "normal" && c.subs.size === 0);
      if (!n) return fail(Code.axNoIdleNumber);
    }
    const binding = this.create(app, n, req.a, undefined, 0, req.userData, req.attrs);
    let set = app.axByA.get(req.a);
    if (!set) {
      set = new Set();
      app.axByA.set(req.a, set);
    }
    set.add(binding.subscriptionId);
    return ok(binding);
  }

  /** Finds an AX binding by subscriptionId (wins) or privateNum (optionally checked against origNum). */
  findAx(app: AppState, req: { subscriptionId?: string; x?: string; a?: string }): Result<BindingRecord> {
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

  unbindAx(app: AppState, req: { subscriptionId?: string; x?: string; a?: string }): Result<BindingRecord> {
    const found = this.findAx(app, req);
    if (found.ok) this.remove(found.value, "unbind");
    return found;
  }

  modifyAx(
    app: AppState,
    req: { subscriptionId?: string; x?: string; a?: string; userData?: string; attrs: BindingAttributes },
  ): Result<BindingRecord> {
    const found = this.findAx(app, { subscriptionId: req.subscriptionId, x: req.x });
    if (!found.ok) return found;
    const binding = found.value;
    if (req.a !== undefined && req.a !== binding.a) {
      const held = app.axByA.get(req.a)?.size ?? 0;
      if (held >= AX_MAX_NUMBERS_PER_A) return fail(Code.axTooManyNumbers);
      this.forgetAxOwner(app, binding);
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
    this.applyCommon(binding, req.userData, req.attrs);
    this.emit({ type: "modified", binding });
    return ok(binding);
  }

  /** AX query: subscriptionId > origNum > privateNum; nothing found is 1016001 (§16), never an empty list. */
  queryAx(
    app: AppState,
    req: { subscriptionId?: string; a?: string; x?: string },
    page: { index: number; size: number },
  ): Result<Page> {
    if (req.subscriptionId === undefined && req.a !== undefined) {
      const ids = app.axByA.get(req.a);
      if (!ids || ids.size === 0) return fail(Code.recordNotFound);
      return ok(pageOf(app, ids, page));
    }
    const found = this.findAx(app, req);
    if (!found.ok) return found.code === Code.invalidRequest ? found : fail(Code.recordNotFound);
    return ok({ items: [found.value], total: 1 });
  }

  /** AX temporary callee (§5.3): the callee of A's next call, valid for durationSeconds. */
  setTemporaryCallee(
    app: AppState,
    req: {
      subscriptionId?: string;
      x?: string;
      calleeNum: string;
      durationSeconds: number;
      userData?: string;
    },
  ): Result<BindingRecord> {
    const found = this.findAx(app, { subscriptionId: req.subscriptionId, x: req.x });
    if (!found.ok) return found;
    const binding = found.value;
    if (binding.a === req.calleeNum) return fail(Code.invalidRequest, "calleeNum must differ from origNum.");
    binding.tempCallee = {
      calleeNum: req.calleeNum,
      expiresAtMs: this.nowMs() + req.durationSeconds * 1000,
      ...(req.userData === undefined ? {} : { userData: req.userData }),
    };
    return ok(binding);
  }

  // ---- shared -------------------------------------------------------------------------------

  /** Picks an X by area (§13); shared with the AXE and AXYB modules. */
  pick(app: AppState, area: AreaRequest, fits: (n: NumberState) => boolean): NumberState | undefined {
    if (area.areaCode === undefined) return app.any.find(fits);
    const city = app.byCity.get(area.areaCode);
    const inCity = city?.find(fits);
    if (inCity || area.areaMatchMode !== 1) return inCity;
    const province = city?.list[0]?.province;
    const inProvince = province ? app.byProvince.get(province)?.find(fits) : undefined;
    return inProvince ?? app.any.find(fits);
  }

  /** Records a new live binding on n and emits `bound`; shared with the AXE and AXYB modules. */
  create(
    app: AppState,
    n: NumberState,
    a: string,
    b: string | undefined,
    durationSeconds: number,
    userData: string | undefined,
    attrs: BindingAttributes,
    /** Set on the record before `bound` is emitted (AXE: extension and settings). */
    extra: Pick<BindingRecord, "extension" | "axe"> = {},
  ): BindingRecord {
    const now = this.nowMs();
    const binding: BindingRecord = {
      appKey: app.config.appKey,
      mode: app.mode,
      subscriptionId: randomUUID(),
      x: n.x,
      a,
      durationSeconds: 0,
      createdAtMs: now,
      attrs,
      ...extra,
      live: true,
    };
    if (b !== undefined) binding.b = b;
    if (userData !== undefined) binding.userData = userData;
    this.setDuration(binding, durationSeconds);
    n.subs.add(binding.subscriptionId);
    app.bindings.set(binding.subscriptionId, binding);
    this.all.set(binding.subscriptionId, binding);
    this.emit({ type: "bound", binding });
    return binding;
  }

  /** Sets the lifetime, counted from now (0: permanent); shared with the AXE module. */
  setDuration(binding: BindingRecord, durationSeconds: number): void {
    binding.durationSeconds = durationSeconds;
    if (durationSeconds > 0) {
      binding.expiresAtMs = this.nowMs() + durationSeconds * 1000;
      this.expiry.push(binding.expiresAtMs, binding.subscriptionId);
    } else {
      delete binding.expiresAtMs;
    }
  }

  applyCommon(binding: BindingRecord, userData: string | undefined, attrs: BindingAttributes): void {
    if (userData !== undefined) binding.userData = userData;
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== undefined) (binding.attrs as Record<string, unknown>)[key] = value;
    }
  }

  private forgetAxOwner(app: AppState, binding: BindingRecord): void {
    const set = app.axByA.get(binding.a);
    set?.delete(binding.subscriptionId);
    if (set?.size === 0) app.axByA.delete(binding.a);
  }

  /** Ends a binding and emits `unbound`; shared with the AXE and AXYB modules. */
  remove(binding: BindingRecord, reason: "unbind" | "expired"): void {
    const app = this.apps.get(binding.appKey)!;
    const n = app.numbers.get(binding.x)!;
    if (binding.y !== undefined) forgetOn(app.numbers.get(binding.y)!, binding);
    binding.live = false;
    delete binding.tempCallee;
    n.subs.delete(binding.subscriptionId);
    if (n.users.get(binding.a) === binding.subscriptionId) n.users.delete(binding.a);
    if (binding.b !== undefined && n.users.get(binding.b) === binding.subscriptionId)
      n.users.delete(binding.b);
    if (binding.mode !== "AXB") this.forgetAxOwner(app, binding);
    app.bindings.delete(binding.subscriptionId);
    this.all.delete(binding.subscriptionId);
    this.emit({ type: "unbound", binding, reason });
  }

  /** @internal */
  emit(event: StateEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function ringFor(map: Map<string, NumberRing>, key: string): NumberRing {
  let ring = map.get(key);
  if (!ring) {
    ring = new NumberRing();
    map.set(key, ring);
  }
  return ring;
}

function pageOf(app: AppState, ids: Set<string>, page: { index: number; size: number }): Page {
  const start = (page.index - 1) * page.size;
  const items: BindingRecord[] = [];
  let i = 0;
  for (const id of ids) {
    if (i >= start + page.size) break;
    if (i >= start) {
      const binding = app.bindings.get(id);
      if (binding) items.push(binding);
    }
    i++;
  }
  return { items, total: ids.size };
}
