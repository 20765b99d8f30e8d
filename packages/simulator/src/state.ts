import { randomUUID } from "node:crypto";
import { forgetAxOwner } from "./ax-state.js";
import { DEFAULT_AXB_CAPACITY } from "./axb-state.js";
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

export interface AreaRequest {
  readonly areaCode?: string;
  /** 0 strict (default), 1 fall back to the same province, then any X of the app. */
  readonly areaMatchMode?: 0 | 1;
}

export interface Page {
  readonly items: BindingRecord[];
  readonly total: number;
}

/** A refusal with the platform's result code; shared with the mode modules. */
export function fail<T>(code: string, detail?: string): Result<T> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}

export function ok<T>(value: T): Result<T> {
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
    if (binding.mode !== "AXB") forgetAxOwner(app, binding);
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

/** One page (from 1) of the bindings `ids`; shared by the AXB and AX queries. */
export function pageOf(app: AppState, ids: Set<string>, page: { index: number; size: number }): Page {
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
