import { z } from "zod";
import { bindAxb, modifyAxb, queryAxb, unbindAxb } from "../axb-state.js";
import { platformTime } from "../calls.js";
import type { BindingRecord } from "../state.js";
import { featureRefusal } from "./app-features.js";
import {
  compact,
  optFlag,
  optInt,
  optMatchMode,
  optPhone,
  optPreVoice,
  optText,
  optUserData,
  pageOf,
  phone,
} from "./params.js";
import { parse, type Reply, type Route, type RouteContext, replyOf } from "./types.js";

/** AXB binding URI (§4). */
export const AXB_PATH = "/rest/caas/relationnumber/partners/v1.0";

const MAX_DURATION_SECONDS = 7_776_000;

const attributes = {
  callDirection: optInt(0, 2),
  recordFlag: optFlag,
  recordHintTone: optText(128),
  maxDuration: optInt(0, 1440),
  lastMinVoice: optText(128),
  privateSms: optFlag,
  preVoice: optPreVoice,
  userData: optUserData,
};

const bindSchema = z.object({
  callerNum: phone,
  calleeNum: phone,
  relationNum: optPhone,
  areaCode: optText(32),
  areaMatchMode: optMatchMode,
  duration: optInt(0, MAX_DURATION_SECONDS),
  ...attributes,
});

const unbindSchema = z.object({
  subscriptionId: optText(64),
  relationNum: optPhone,
  callerNum: optPhone,
  calleeNum: optPhone,
});

const modifySchema = z.object({
  subscriptionId: z.preprocess(
    (v) => (v === "" || v === null ? undefined : v),
    z.string({ error: "is required" }).max(64),
  ),
  callerNum: optPhone,
  calleeNum: optPhone,
  duration: optInt(0, MAX_DURATION_SECONDS),
  ...attributes,
});

const querySchema = z.object({
  subscriptionId: optText(64),
  relationNum: optPhone,
  callerNum: optPhone,
  calleeNum: optPhone,
});

type Attributes = z.output<z.ZodObject<typeof attributes>>;

function attrsOf(v: Attributes) {
  return compact({
    callDirection: v.callDirection,
    recordFlag: v.recordFlag,
    recordHintTone: v.recordHintTone,
    maxDuration: v.maxDuration,
    lastMinVoice: v.lastMinVoice,
    privateSms: v.privateSms,
    preVoice: v.preVoice ? compact(v.preVoice) : undefined,
  });
}

/** The binding as AXB answers show it; integers stay integers (§16). */
function view(b: BindingRecord): Record<string, unknown> {
  return compact({
    subscriptionId: b.subscriptionId,
    relationNum: b.x,
    callerNum: b.a,
    calleeNum: b.b,
    callDirection: b.attrs.callDirection ?? 0,
    duration: b.durationSeconds,
    maxDuration: b.attrs.maxDuration ?? 0,
    recordFlag: String(b.attrs.recordFlag ?? false),
    recordHintTone: b.attrs.recordHintTone,
    lastMinVoice: b.attrs.lastMinVoice,
    privateSms: b.attrs.privateSms === undefined ? undefined : String(b.attrs.privateSms),
    preVoice: b.attrs.preVoice,
    userData: b.userData,
    subscribeTime: platformTime(b.createdAtMs),
  });
}

function bind({ state, app, params }: RouteContext): Reply {
  const p = parse(bindSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const refused = featureRefusal(app.config, attrsOf(v));
  if (refused) return refused;
  const result = bindAxb(state, app, {
    a: v.callerNum,
    b: v.calleeNum,
    // relationNum wins over areaCode (§4.1).
    ...(v.relationNum !== undefined
      ? { x: v.relationNum }
      : compact({ areaCode: v.areaCode, areaMatchMode: v.areaMatchMode })),
    durationSeconds: v.duration ?? 0,
    ...compact({ userData: v.userData }),
    attrs: attrsOf(v),
  });
  return replyOf(result, (b) => {
    const { subscribeTime: _, ...rest } = view(b);
    return rest;
  });
}

function unbind({ state, app, params }: RouteContext): Reply {
  const p = parse(unbindSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const result = unbindAxb(
    state,
    app,
    compact({ subscriptionId: v.subscriptionId, x: v.relationNum, a: v.callerNum, b: v.calleeNum }),
  );
  return replyOf(result, () => ({}));
}

function modify({ state, app, params }: RouteContext): Reply {
  const p = parse(modifySchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const refused = featureRefusal(app.config, attrsOf(v));
  if (refused) return refused;
  const result = modifyAxb(state, app, {
    subscriptionId: v.subscriptionId,
    ...compact({ a: v.callerNum, b: v.calleeNum, durationSeconds: v.duration, userData: v.userData }),
    attrs: attrsOf(v),
  });
  return replyOf(result, (b) => {
    const { subscribeTime: _, ...rest } = view(b);
    return rest;
  });
}

function query({ app, params }: RouteContext): Reply {
  const p = parse(querySchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const page = pageOf(params);
  const result = queryAxb(
    app,
    compact({ subscriptionId: v.subscriptionId, x: v.relationNum, a: v.callerNum, b: v.calleeNum }),
    page,
  );
  return replyOf(result, ({ items, total }) => ({
    app_key: app.config.appKey,
    pageIndex: page.index,
    pageSize: page.size,
    totalCount: total,
    relationNumList: items.map(view),
  }));
}

export const axbRoute: Route = {
  mode: "AXB",
  methods: { POST: bind, DELETE: unbind, PUT: modify, GET: query },
};
