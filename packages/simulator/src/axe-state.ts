import { Code } from "./codes.js";
import type {
  AppState,
  AreaRequest,
  BindingAttributes,
  BindingRecord,
  NumberConfig,
  NumberState,
  PlatformState,
  Result,
} from "./state.js";

/** AXE: bindings one X carries when its config does not say (the platform's recommendation, §6.3). */
export const DEFAULT_AXE_CAPACITY = 200;
/** AXE: extension length of an X when its config does not say. */
export const DEFAULT_EXTENSION_DIGITS = 4;
/** `timeUnit` (§6.1): `0` hours (the default), `1` minutes; the seconds of one unit. */
export const TIME_UNIT_SECONDS: Readonly<Record<0 | 1, number>> = { 0: 3600, 1: 60 };
/** The first cursor of a v2.0 listing (§6.2). */
export const FIRST_CURSOR = "0000000000000_0";
/** A v2.0 cursor: 13 digits, `_`, 1-20 digits (§6.2). */
export const CURSOR_RE = /^\d{13}_(\d{1,20})$/;

/** An AXE binding's settings (§6.1), as bind and modify leave them. */
export interface AxeSettings {
  /** What A sees when another user calls: `0` X, `1` the real caller. */
  displayNumMode: "0" | "1";
  /** `timeUnit` as query reports it: the bind's when the bind sent one (§6.2), else the last modify's. */
  timeUnit?: 0 | 1;
  /** `bindExpiredTime` as query reports it (same rule as `timeUnit`). */
  bindExpiredTime?: number;
  /** `callbackExpiredTime` as last set. */
  callbackExpiredTime?: number;
  /** Lifetime of a call-back record in seconds; undefined: as long as the binding lives (unconfirmed). */
  callbackSeconds?: number;
  /** Where A's call through X goes when no call-back record is live (exclusive with `callbackTone`). */
  callbackNum?: string;
  /** Tone A hears when calling X with no live call-back record. */
  callbackTone?: string;
  /** Insertion order of the binding on its X, for cursor paging. */
  readonly seq: number;
}

/** The party A reaches by calling X: the last one who reached A via X + E (§6). */
interface CallbackRecord {
  readonly caller: string;
  readonly viaSubscriptionId: string;
  readonly expiresAtMs?: number;
}

/** Where A's call through X goes (§6): the call-back party, else `callbackNum`, else a tone or nothing. */
export interface AxeRoute {
  readonly called?: string;
  readonly tone?: string;
}

export interface AxeBindInput extends AreaRequest {
  readonly a: string;
  readonly x?: string;
  /** Digits as the client sent them; absent: the lowest free extension is assigned. */
  readonly extension?: string;
  readonly durationSeconds: number;
  readonly settings: Omit<AxeSettings, "seq">;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export interface AxeModifyInput {
  readonly subscriptionId?: string;
  readonly x?: string;
  readonly extension?: string;
  readonly displayNumMode?: "0" | "1";
  readonly timeUnit?: 0 | 1;
  readonly bindExpiredTime?: number;
  readonly callbackExpiredTime?: number;
  readonly callbackNum?: string;
  readonly callbackTone?: string;
  readonly userData?: string;
  readonly attrs: BindingAttributes;
}

export interface AxePage {
  readonly items: BindingRecord[];
  /** The cursor of the next page; absent on the last one. */
  readonly nextCursor?: string;
}

/** Extension length and capacity of an AXE number from its config; throws on values the platform cannot have. */
export function axeNumberLimits(n: NumberConfig): { digits: number; capacity: number } {
  const digits = n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS;
  if (!Number.isInteger(digits) || digits < 1 || digits > 4)
    throw new Error(`number ${n.x}: extensionDigits must be 1-4, got ${digits}`);
  const space = extensionSpace(digits);
  const capacity = n.capacity ?? Math.min(DEFAULT_AXE_CAPACITY, space);
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > space)
    throw new Error(
      `number ${n.x}: capacity ${capacity} is more than the ${space} extensions of ${digits} digits`,
    );
  return { digits, capacity };
}

/** Extensions of an X with `digits` digits: `1`..`9`, ..., `0001`..`9999` (all zeros is none). */
export function extensionSpace(digits: number): number {
  return 10 ** digits - 1;
}

function fail<T>(code: string, detail?: string): Result<T> {
  return detail === undefined ? { ok: false, code } : { ok: false, code, detail };
}

/**
 * The AXE rules (§6, §9): A behind X + E, E unique per X, capacity per X, `1020167` when no extension is
 * free; the insertion order that v2.0 cursors follow; call-back records. Bindings themselves live in
 * {@link PlatformState}, like those of the other modes.
 */
export class AxeState {
  /** Per AXE number: extension -> subscriptionId. */
  private readonly extensions = new Map<NumberState, Map<string, string>>();
  /** `appKey \n x \n a` -> the party A reaches by calling X. */
  private readonly callbacks = new Map<string, CallbackRecord>();
  private nextSeq = 1;

  constructor(
    private readonly state: PlatformState,
    /** Result code of a bind naming an extension in use (unconfirmed: `1012010`, "has been bound"). */
    private readonly extensionTakenCode: string,
  ) {
    state.onEvent((event) => {
      if (event.type === "unbound" && event.binding.mode === "AXE") this.forget(event.binding);
    });
  }

  bind(app: AppState, req: AxeBindInput): Result<BindingRecord> {
    const repeatA = app.config.allowRepeatedA === true;
    let n: NumberState | undefined;
    let extension: string | undefined;
    if (req.x !== undefined) {
      n = app.numbers.get(req.x);
      if (!n) return fail(Code.axbNumberNotOfApp, `virtualNum ${req.x} is not a number of this app.`);
      if (req.extension !== undefined && req.extension.length !== n.extensionDigits)
        return fail(Code.invalidRequest, `extendNum must have ${n.extensionDigits} digits on this X.`);
      if (n.status !== "normal")
        return fail(this.state.abnormalCode, `The number ${req.x} status is abnormal.`);
      if (!repeatA && n.users.has(req.a))
        return fail(Code.axbAlreadyBound, `The number ${req.a} has been bound.`);
      if (n.subs.size >= n.capacity) return fail(Code.noIdleExtension);
      if (req.extension !== undefined && this.taken(n).has(req.extension))
        return fail(this.extensionTakenCode, `The extendNum ${req.extension} has been bound.`);
      extension = req.extension ?? this.lowestFree(n);
      if (extension === undefined) return fail(Code.noIdleExtension);
    } else {
      const { a } = req;
      const wanted = req.extension;
      n = this.state.pick(
        app,
        req,
        (c) =>
          c.status === "normal" &&
          c.subs.size < c.capacity &&
          (repeatA || !c.users.has(a)) &&
          (wanted === undefined
            ? this.lowestFree(c) !== undefined
            : wanted.length === c.extensionDigits && !this.taken(c).has(wanted)),
      );
      if (!n) return fail(Code.axbNoIdleNumber);
      extension = wanted ?? this.lowestFree(n)!;
    }
    const settings: AxeSettings = { ...req.settings, seq: this.nextSeq++ };
    const binding = this.state.create(
      app,
      n,
      req.a,
      undefined,
      req.durationSeconds,
      req.userData,
      req.attrs,
      {
        extension,
        axe: settings,
      },
    );
    this.taken(n).set(extension, binding.subscriptionId);
    n.users.set(req.a, binding.subscriptionId);
    return { ok: true, value: binding };
  }

  /** One binding by `subscriptionId` (wins) or `virtualNum` + `extendNum` (§6.2). */
  find(
    app: AppState,
    req: { subscriptionId?: string; x?: string; extension?: string },
  ): Result<BindingRecord> {
    if (req.subscriptionId !== undefined) {
      const binding = app.bindings.get(req.subscriptionId);
      return binding ? { ok: true, value: binding } : fail(Code.recordNotFound);
    }
    if (req.x === undefined || req.extension === undefined)
      return fail(Code.invalidRequest, "subscriptionId, or virtualNum with extendNum, is required.");
    const n = app.numbers.get(req.x);
    if (!n) return fail(Code.axbNumberNotOfApp, `virtualNum ${req.x} is not a number of this app.`);
    const id = this.taken(n).get(req.extension);
    const binding = id === undefined ? undefined : app.bindings.get(id);
    return binding ? { ok: true, value: binding } : fail(Code.recordNotFound);
  }

  unbind(
    app: AppState,
    req: { subscriptionId?: string; x?: string; extension?: string },
  ): Result<BindingRecord> {
    const found = this.find(app, req);
    if (found.ok) this.state.remove(found.value, "unbind");
    return found;
  }

  /**
   * Modify (§6.2): absent fields stay. A new `bindExpiredTime` restarts the lifetime from now (in the
   * request's `timeUnit`, else the binding's); query keeps reporting the bind's own values (§6.2).
   */
  modify(app: AppState, req: AxeModifyInput): Result<BindingRecord> {
    const found = this.find(app, req);
    if (!found.ok) return found;
    const binding = found.value;
    const s = binding.axe!;
    const unit = req.timeUnit ?? s.timeUnit ?? 0;
    if (req.displayNumMode !== undefined) s.displayNumMode = req.displayNumMode;
    // The two fallbacks exclude each other, so setting one drops the other.
    if (req.callbackNum !== undefined) {
      s.callbackNum = req.callbackNum;
      delete s.callbackTone;
    }
    if (req.callbackTone !== undefined) {
      s.callbackTone = req.callbackTone;
      delete s.callbackNum;
    }
    if (req.bindExpiredTime !== undefined) {
      this.state.setDuration(binding, req.bindExpiredTime * TIME_UNIT_SECONDS[unit]);
      if (s.bindExpiredTime === undefined) s.bindExpiredTime = req.bindExpiredTime;
    }
    if (req.timeUnit !== undefined && s.timeUnit === undefined) s.timeUnit = req.timeUnit;
    if (req.callbackExpiredTime !== undefined) {
      s.callbackExpiredTime = req.callbackExpiredTime;
      s.callbackSeconds =
        req.callbackExpiredTime > 0 ? req.callbackExpiredTime * TIME_UNIT_SECONDS[unit] : undefined;
    }
    this.state.applyCommon(binding, req.userData, req.attrs);
    this.state.emit({ type: "modified", binding });
    return { ok: true, value: binding };
  }

  /**
   * v2.0 listing of one X (§6.2): bindings in the order they were made, after `cursor`. The cursor names
   * the last binding returned (its bind time and insertion number), never a position, so unbinds between
   * pages skip nothing that stays bound.
   */
  list(app: AppState, x: string, cursor: string, limit: number): Result<AxePage> {
    const match = CURSOR_RE.exec(cursor);
    if (!match) return fail(Code.invalidRequest, `cursor must match \\d{13}_\\d{1,20}.`);
    const after = Number(match[1]);
    const n = app.numbers.get(x);
    if (!n) return fail(Code.axbNumberNotOfApp, `virtualNum ${x} is not a number of this app.`);
    const items: BindingRecord[] = [];
    let more = false;
    // n.subs keeps insertion order, which is seq order.
    for (const id of n.subs) {
      const binding = app.bindings.get(id);
      if (!binding || binding.axe!.seq <= after) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(binding);
    }
    const last = items.at(-1);
    return { ok: true, value: more && last ? { items, nextCursor: cursorOf(last) } : { items } };
  }

  /** A caller reached A via X + E: A's next call through X goes back to them (§6). */
  recordCallback(binding: BindingRecord, caller: string, atMs: number): void {
    const seconds = binding.axe?.callbackSeconds;
    this.callbacks.set(callbackKey(binding), {
      caller,
      viaSubscriptionId: binding.subscriptionId,
      ...(seconds === undefined ? {} : { expiresAtMs: atMs + seconds * 1000 }),
    });
  }

  /** Where A's call through the X of `binding` goes at `atMs` (§6). */
  routeFromA(binding: BindingRecord, atMs: number): AxeRoute {
    const record = this.liveCallback(binding, atMs);
    if (record) return { called: record.caller };
    const s = binding.axe;
    if (s?.callbackNum !== undefined) return { called: s.callbackNum };
    return s?.callbackTone === undefined ? {} : { tone: s.callbackTone };
  }

  /** The call-back record A's call through X would use, if live at `atMs`. */
  liveCallback(binding: BindingRecord, atMs: number): { caller: string; expiresAtMs?: number } | undefined {
    const record = this.callbacks.get(callbackKey(binding));
    if (!record || (record.expiresAtMs !== undefined && record.expiresAtMs <= atMs)) return undefined;
    return record;
  }

  private taken(n: NumberState): Map<string, string> {
    let map = this.extensions.get(n);
    if (!map) {
      map = new Map();
      this.extensions.set(n, map);
    }
    return map;
  }

  /** The lowest free extension of n, zero-padded, or undefined when all are taken. */
  private lowestFree(n: NumberState): string | undefined {
    const taken = this.taken(n);
    const space = extensionSpace(n.extensionDigits);
    if (taken.size >= space) return undefined;
    for (let e = 1; e <= space; e++) {
      const ext = String(e).padStart(n.extensionDigits, "0");
      if (!taken.has(ext)) return ext;
    }
    return undefined;
  }

  private forget(binding: BindingRecord): void {
    const n = this.state.app(binding.appKey)?.numbers.get(binding.x);
    const taken = n === undefined ? undefined : this.extensions.get(n);
    if (binding.extension !== undefined && taken?.get(binding.extension) === binding.subscriptionId)
      taken.delete(binding.extension);
    const key = callbackKey(binding);
    if (this.callbacks.get(key)?.viaSubscriptionId === binding.subscriptionId) this.callbacks.delete(key);
  }
}

function callbackKey(binding: BindingRecord): string {
  return `${binding.appKey}\n${binding.x}\n${binding.a}`;
}

/** The cursor after `binding`: its bind time in ms (13 digits) and its insertion number. */
function cursorOf(binding: BindingRecord): string {
  const ms = String(Math.max(0, Math.trunc(binding.createdAtMs)))
    .padStart(13, "0")
    .slice(-13);
  return `${ms}_${binding.axe!.seq}`;
}
