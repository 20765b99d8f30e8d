import { z } from "zod";
import { bindAxybAx, bindAxybYb, queryAxyb, unbindAxyb } from "../axyb-state.js";
import { platformTime } from "../calls.js";
import { Code } from "../codes.js";
import type { BindingRecord } from "../state.js";
import { compact, optFlag, optInt, optMatchMode, optPhone, optText, optUserData, phone } from "./params.js";
import { parse, type Reply, type Route, type RouteContext, replyOf } from "./types.js";

/** AXYB binding URI (§7): bind POST, unbind DELETE, query GET. */
export const AXYB_PATH = "/rest/omp/xyrelationnumber/v1.0";

/**
 * The bind request's number fields are unconfirmed (§15 item 4). The simulator takes the names of
 * Huawei's samples (`origNum_A`, `origNum_B`) and the same pattern for the privacy numbers.
 */
export const AXYB_FIELDS = { a: "origNum_A", b: "origNum_B", x: "privateNum_X", y: "privateNum_Y" } as const;

/** 0 (never / with AX), or 60 s to 90 days (§7). */
const lifetime = optInt(0, 7_776_000).refine((v) => v === undefined || v === 0 || v >= 60, {
  error: "must be 0 or 60-7776000",
});

const axSchema = z.object({
  [AXYB_FIELDS.a]: phone,
  [AXYB_FIELDS.x]: optPhone,
  areaCode: optText(32),
  areaMatchMode: optMatchMode,
  callDirection: optInt(0, 2),
  duration: lifetime,
  ybDuration: lifetime,
  recordFlag: optFlag,
  recordHintTone: optText(128),
  preVoiceX: optText(128),
  preVoiceY: optText(128),
  userData: optUserData,
});

const ybSchema = z.object({
  subscriptionId: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).max(64)),
  [AXYB_FIELDS.b]: phone,
  [AXYB_FIELDS.y]: optPhone,
  areaCode: optText(32),
  areaMatchMode: optMatchMode,
});

const unbindSchema = z.object({
  subscriptionId: z.preprocess((v) => (v === "" ? undefined : v), z.string({ error: "is required" }).max(64)),
  yNum: optPhone,
  bNum: optPhone,
});

const querySchema = z.object({ subscriptionId: optText(64), relationNum: optPhone });

/** A binding as the query's `xyRelationNumList` shows it. */
function view(b: BindingRecord): Record<string, unknown> {
  const attrs = b.attrs as Record<string, unknown>;
  return compact({
    bindId: b.subscriptionId,
    numA: b.a,
    numX: b.x,
    numY: b.y,
    numB: b.b,
    recordFlag: String(b.attrs.recordFlag ?? false),
    recordHintTone: b.attrs.recordHintTone,
    subscribeTime: platformTime(b.createdAtMs),
    callDirection: b.attrs.callDirection ?? 0,
    duration: String(b.durationSeconds),
    ybDuration: String(attrs.ybDuration ?? 0),
    preVoiceX: attrs.preVoiceX,
    preVoiceY: attrs.preVoiceY,
    userData: b.userData,
  });
}

/** A bind without subscriptionId sets A's relation on X; with one, B's relation on Y under it. */
function bind({ state, app, params }: RouteContext): Reply {
  if (params.subscriptionId !== undefined && params.subscriptionId !== "") {
    const p = parse(ybSchema, params);
    if (!p.ok) return p.reply;
    const v = p.value as z.output<typeof ybSchema> & Record<string, string | undefined>;
    const result = bindAxybYb(state, app, {
      subscriptionId: v.subscriptionId,
      b: v[AXYB_FIELDS.b]!,
      ...compact({ y: v[AXYB_FIELDS.y], areaCode: v.areaCode, areaMatchMode: v.areaMatchMode }),
    });
    return replyOf(result, (b) => ({ subscriptionId: b.subscriptionId, relationNumber: b.y }));
  }
  const p = parse(axSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value as z.output<typeof axSchema> & Record<string, string | undefined>;
  const duration = v.duration ?? 7200;
  const ybDuration = v.ybDuration ?? 0;
  const result = bindAxybAx(state, app, {
    a: v[AXYB_FIELDS.a]!,
    ...compact({ x: v[AXYB_FIELDS.x], areaCode: v.areaCode, areaMatchMode: v.areaMatchMode }),
    durationSeconds: duration,
    // A YB lifetime over the binding's gives way to the binding's (§7).
    ybDurationSeconds: duration > 0 && ybDuration > duration ? duration : ybDuration,
    ...compact({ userData: v.userData }),
    attrs: compact({
      callDirection: v.callDirection,
      recordFlag: v.recordFlag,
      recordHintTone: v.recordHintTone,
      preVoiceX: v.preVoiceX,
      preVoiceY: v.preVoiceY,
      ybDuration: duration > 0 && ybDuration > duration ? duration : ybDuration,
    }),
  });
  return replyOf(result, (b) => ({ subscriptionId: b.subscriptionId, relationNumber: b.x }));
}

function unbind({ state, app, params }: RouteContext): Reply {
  const p = parse(unbindSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  if (v.subscriptionId === "") return { code: Code.invalidRequest, detail: "subscriptionId is required." };
  const result = unbindAxyb(state, app, {
    subscriptionId: v.subscriptionId,
    ...compact({ yNum: v.yNum, bNum: v.bNum }),
  });
  return replyOf(result, () => ({}));
}

function query({ state, app, params }: RouteContext): Reply {
  const p = parse(querySchema, params);
  if (!p.ok) return p.reply;
  const result = queryAxyb(
    state,
    app,
    compact({ subscriptionId: p.value.subscriptionId, relationNum: p.value.relationNum }),
  );
  return replyOf(result, (items) => ({ xyRelationNumList: items.map(view) }));
}

export const axybRoute: Route = {
  mode: "AXYB",
  methods: { POST: bind, DELETE: unbind, GET: query },
};
