import { z } from "zod";
import { FIRST_CURSOR, TIME_UNIT_SECONDS } from "../axe-state.js";
import { platformTime } from "../calls.js";
import { Code } from "../codes.js";
import type { AppState, BindingRecord } from "../state.js";
import { featureRefusal } from "./app-features.js";
import { compact, optFlag, optInt, optMatchMode, optPhone, optText, optUserData, phone } from "./params.js";
import { parse, type Reply, type Route, type RouteContext, replyOf } from "./types.js";

/** AXE binding URI (§6): bind POST, unbind DELETE, modify PUT, query GET (v1.0). */
export const AXE_PATH = "/rest/caas/extendnumber/v1.0";
/** AXE query with cursor paging over one X (§6.2). */
export const AXE_V2_PATH = "/rest/caas/extendnumber/v2.0";

/** Longest `bindExpiredTime` / `callbackExpiredTime`, in seconds: unconfirmed, taken as AXB's 90 days. */
const MAX_LIFETIME_SECONDS = 7_776_000;
/** v2.0 `limit`: 1-100, 50 when absent (unconfirmed; as the AXE binding-count query documents). */
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 50;

const absent = (v: unknown) => v === null || v === undefined || v === "";
const text = (v: unknown) => (absent(v) ? undefined : typeof v === "number" ? String(v) : v);

/** An extension: 1-4 digits, not all zeros (0 is no extension). */
const optExtension = z.preprocess(
  text,
  z
    .string()
    .regex(/^\d{1,4}$/, { error: "must be 1-4 digits" })
    .refine((s) => /[1-9]/.test(s), { error: "must not be all zeros" })
    .optional(),
);
/** `timeUnit`: `0` hours, `1` minutes. */
const optTimeUnit = z.preprocess(
  (v) => (absent(v) ? undefined : Number(v)),
  z.union([z.literal(0), z.literal(1)]).optional(),
);
const optDisplayMode = z.preprocess(text, z.enum(["0", "1"]).optional());
/** Audio file names: digits, letters and `-` `_` `.` `@` (§4.1). */
const optTone = z.preprocess(
  text,
  z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9._@-]+$/, { error: "is not an audio file name" })
    .optional(),
);
const lifetime = optInt(0, MAX_LIFETIME_SECONDS);

const settingsFields = {
  displayNumMode: optDisplayMode,
  recordFlag: optFlag,
  recordHintTone: optText(128),
  callbackTone: optTone,
  callbackNum: optPhone,
  timeUnit: optTimeUnit,
  bindExpiredTime: lifetime,
  callbackExpiredTime: lifetime,
  userData: optUserData,
};

/**
 * The two fallbacks of A's call exclude each other (§6.1: both → 1010002); lifetimes stay within 90 days;
 * the app's features (recording, approved tones) allow the request.
 */
function checkSettings(
  v: {
    callbackTone?: string | undefined;
    callbackNum?: string | undefined;
    timeUnit?: 0 | 1 | undefined;
    bindExpiredTime?: number | undefined;
    callbackExpiredTime?: number | undefined;
    recordFlag?: boolean | undefined;
    recordHintTone?: string | undefined;
  },
  app: AppState,
): Reply | undefined {
  if (v.callbackTone !== undefined && v.callbackNum !== undefined)
    return { code: Code.invalidRequest, detail: "callbackTone and callbackNum are mutually exclusive." };
  const refused = featureRefusal(app.config, v);
  if (refused) return refused;
  const unit = TIME_UNIT_SECONDS[v.timeUnit ?? 0];
  for (const field of ["bindExpiredTime", "callbackExpiredTime"] as const) {
    const value = v[field];
    if (value !== undefined && value * unit > MAX_LIFETIME_SECONDS)
      return { code: Code.invalidRequest, detail: `Invalid parameter ${field}: more than 90 days.` };
  }
  return undefined;
}

const bindSchema = z.object({
  bindNum: phone,
  virtualNum: optPhone,
  areaCode: optText(32),
  areaMatchMode: optMatchMode,
  extendNum: optExtension,
  ...settingsFields,
});

const findSchema = z.object({
  subscriptionId: optText(64),
  virtualNum: optPhone,
  extendNum: optExtension,
});

const modifySchema = z.object({ ...findSchema.shape, ...settingsFields });

const listSchema = z.object({
  ...findSchema.shape,
  cursor: z.preprocess(text, z.string().optional()),
  limit: optInt(1, MAX_LIMIT),
});

/** The binding as v1.0 answers it (flat) and v2.0 lists it; `subscribeTime` is an addition (unconfirmed). */
function view(b: BindingRecord): Record<string, unknown> {
  const s = b.axe!;
  return compact({
    subscriptionId: b.subscriptionId,
    virtualNum: b.x,
    extendNum: b.extension,
    bindNum: b.a,
    displayNumMode: s.displayNumMode,
    recordFlag: String(b.attrs.recordFlag ?? false),
    recordHintTone: b.attrs.recordHintTone,
    callbackTone: s.callbackTone,
    callbackNum: s.callbackNum,
    timeUnit: s.timeUnit === undefined ? undefined : String(s.timeUnit),
    bindExpiredTime: s.bindExpiredTime,
    callbackExpiredTime: s.callbackExpiredTime,
    userData: b.userData,
    subscribeTime: platformTime(b.createdAtMs),
  });
}

function bind({ state, app, params }: RouteContext): Reply {
  const p = parse(bindSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const bad = checkSettings(v, app);
  if (bad) return bad;
  const unit = v.timeUnit ?? 0;
  const result = state.axe.bind(app, {
    a: v.bindNum,
    // virtualNum wins over areaCode (§6.1).
    ...(v.virtualNum !== undefined
      ? { x: v.virtualNum }
      : compact({ areaCode: v.areaCode, areaMatchMode: v.areaMatchMode })),
    ...compact({ extension: v.extendNum, userData: v.userData }),
    durationSeconds: (v.bindExpiredTime ?? 0) * TIME_UNIT_SECONDS[unit],
    settings: {
      displayNumMode: v.displayNumMode ?? "0",
      ...compact({
        timeUnit: v.timeUnit,
        bindExpiredTime: v.bindExpiredTime,
        callbackExpiredTime: v.callbackExpiredTime,
        callbackSeconds: v.callbackExpiredTime ? v.callbackExpiredTime * TIME_UNIT_SECONDS[unit] : undefined,
        callbackNum: v.callbackNum,
        callbackTone: v.callbackTone,
      }),
    },
    attrs: compact({ recordFlag: v.recordFlag, recordHintTone: v.recordHintTone }),
  });
  return replyOf(result, (b) => ({
    subscriptionId: b.subscriptionId,
    virtualNum: b.x,
    extendNum: b.extension,
    bindNum: b.a,
  }));
}

function findOf(v: z.output<typeof findSchema>) {
  return compact({ subscriptionId: v.subscriptionId, x: v.virtualNum, extension: v.extendNum });
}

function unbind({ state, app, params }: RouteContext): Reply {
  const p = parse(findSchema, params);
  if (!p.ok) return p.reply;
  return replyOf(state.axe.unbind(app, findOf(p.value)), () => ({}));
}

function modify({ state, app, params }: RouteContext): Reply {
  const p = parse(modifySchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const bad = checkSettings(v, app);
  if (bad) return bad;
  const result = state.axe.modify(app, {
    ...findOf(v),
    ...compact({
      displayNumMode: v.displayNumMode,
      timeUnit: v.timeUnit,
      bindExpiredTime: v.bindExpiredTime,
      callbackExpiredTime: v.callbackExpiredTime,
      callbackNum: v.callbackNum,
      callbackTone: v.callbackTone,
      userData: v.userData,
    }),
    attrs: compact({ recordFlag: v.recordFlag, recordHintTone: v.recordHintTone }),
  });
  return replyOf(result, (b) => ({
    subscriptionId: b.subscriptionId,
    virtualNum: b.x,
    extendNum: b.extension,
  }));
}

/** v1.0: one binding, its fields at the top level (§6.2). */
function query({ state, app, params }: RouteContext): Reply {
  const p = parse(findSchema, params);
  if (!p.ok) return p.reply;
  return replyOf(state.axe.find(app, findOf(p.value)), view);
}

/**
 * v2.0: one binding when one is addressed (cursor ignored), else a page of `virtualNum`'s bindings after
 * `cursor`, in `virtualNumList`, with `nextCursor` while more follow (field names unconfirmed).
 */
function queryV2({ state, app, params }: RouteContext): Reply {
  const p = parse(listSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  if (v.subscriptionId !== undefined || (v.virtualNum !== undefined && v.extendNum !== undefined)) {
    return replyOf(state.axe.find(app, findOf(v)), (b) => ({ virtualNumList: [view(b)] }));
  }
  if (v.virtualNum === undefined)
    return { code: Code.invalidRequest, detail: "subscriptionId or virtualNum is required." };
  const result = state.axe.list(app, v.virtualNum, v.cursor ?? FIRST_CURSOR, v.limit ?? DEFAULT_LIMIT);
  return replyOf(result, ({ items, nextCursor }) => ({
    virtualNumList: items.map(view),
    ...(nextCursor === undefined ? {} : { nextCursor }),
  }));
}

export const axeRoute: Route = {
  mode: "AXE",
  methods: { POST: bind, DELETE: unbind, PUT: modify, GET: query },
};

export const axeV2Route: Route = {
  mode: "AXE",
  methods: { GET: queryV2 },
};
