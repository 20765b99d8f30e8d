import { z } from "zod";
import { bindAx, modifyAx, queryAx, setTemporaryCallee as setCallee, unbindAx } from "../ax-state.js";
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

/** AX binding URI (§5). */
export const AX_PATH = "/rest/provision/caas/privatenumber/v1.0";
/** AX temporary callee URI (§5.3). */
export const AX_CALLEE_PATH = "/rest/caas/privatenumber/calleenumber/v1.0";

const attributes = {
  calleeNumDisplay: optText(8),
  callDirection: optInt(0, 2),
  recordFlag: optFlag,
  recordHintTone: optText(128),
  maxDuration: optInt(0, 1440),
  lastMinVoice: optText(128),
  privateSms: optFlag,
  preVoice: optPreVoice,
  turnFlag: z.preprocess((v) => (v === null || v === "" ? undefined : v), z.enum(["on", "off"]).optional()),
  userData: optUserData,
};

const bindSchema = z.object({
  origNum: phone,
  privateNum: optPhone,
  privateNumType: optText(32),
  areaCode: optText(32),
  areaMatchMode: optMatchMode,
  ...attributes,
});

const findSchema = z.object({
  subscriptionId: optText(64),
  origNum: optPhone,
  privateNum: optPhone,
});

const modifySchema = z.object({
  subscriptionId: optText(64),
  privateNum: optPhone,
  origNum: optPhone,
  ...attributes,
});

/** §5.3; `origNum` is not parsed by the platform, so it is not read here either. */
const calleeSchema = z.object({
  subscriptionId: optText(64),
  privateNum: optPhone,
  calleeNum: phone,
  duration: optInt(1, 259_200),
  userData: optUserData.refine((s) => s === undefined || !/[{}]/.test(s), {
    error: "must not contain { or }",
  }),
});

type Attributes = z.output<z.ZodObject<typeof attributes>>;

function attrsOf(v: Attributes) {
  return compact({
    calleeNumDisplay: v.calleeNumDisplay,
    callDirection: v.callDirection,
    recordFlag: v.recordFlag,
    recordHintTone: v.recordHintTone,
    maxDuration: v.maxDuration,
    lastMinVoice: v.lastMinVoice,
    privateSms: v.privateSms,
    preVoice: v.preVoice ? compact(v.preVoice) : undefined,
    turnFlag: v.turnFlag,
  });
}

/** The binding as AX query items show it. */
function view(b: BindingRecord): Record<string, unknown> {
  return compact({
    subscriptionId: b.subscriptionId,
    origNum: b.a,
    privateNum: b.x,
    calleeNumDisplay: b.attrs.calleeNumDisplay ?? "0",
    callDirection: b.attrs.callDirection,
    recordFlag: String(b.attrs.recordFlag ?? false),
    recordHintTone: b.attrs.recordHintTone,
    maxDuration: b.attrs.maxDuration ?? 0,
    lastMinVoice: b.attrs.lastMinVoice,
    privateSms: b.attrs.privateSms === undefined ? undefined : String(b.attrs.privateSms),
    preVoice: b.attrs.preVoice,
    turnFlag: b.attrs.turnFlag ?? "on",
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
  const result = bindAx(state, app, {
    a: v.origNum,
    // privateNum wins over areaCode (§16).
    ...(v.privateNum !== undefined
      ? { x: v.privateNum }
      : compact({ areaCode: v.areaCode, areaMatchMode: v.areaMatchMode })),
    ...compact({ userData: v.userData }),
    attrs: attrsOf(v),
  });
  return replyOf(result, (b) => ({ origNum: b.a, privateNum: b.x, subscriptionId: b.subscriptionId }));
}

function unbind({ state, app, params }: RouteContext): Reply {
  const p = parse(findSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const result = unbindAx(
    state,
    app,
    compact({ subscriptionId: v.subscriptionId, x: v.privateNum, a: v.origNum }),
  );
  return replyOf(result, () => ({}));
}

function modify({ state, app, params }: RouteContext): Reply {
  const p = parse(modifySchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const refused = featureRefusal(app.config, attrsOf(v));
  if (refused) return refused;
  const result = modifyAx(state, app, {
    ...compact({ subscriptionId: v.subscriptionId, x: v.privateNum, a: v.origNum, userData: v.userData }),
    attrs: attrsOf(v),
  });
  return replyOf(result, (b) => ({ origNum: b.a, privateNum: b.x, subscriptionId: b.subscriptionId }));
}

function query({ app, params }: RouteContext): Reply {
  const p = parse(findSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const page = pageOf(params);
  const result = queryAx(
    app,
    compact({ subscriptionId: v.subscriptionId, a: v.origNum, x: v.privateNum }),
    page,
  );
  return replyOf(result, ({ items, total }) => ({
    app_key: app.config.appKey,
    pageIndex: page.index,
    pageSize: page.size,
    totalCount: total,
    privateNumList: items.map(view),
  }));
}

function setTemporaryCallee({ state, app, params }: RouteContext): Reply {
  const p = parse(calleeSchema, params);
  if (!p.ok) return p.reply;
  const v = p.value;
  const result = setCallee(state, app, {
    ...compact({ subscriptionId: v.subscriptionId, x: v.privateNum, userData: v.userData }),
    calleeNum: v.calleeNum,
    durationSeconds: v.duration ?? 60,
  });
  return replyOf(result, () => ({}));
}

export const axRoute: Route = {
  mode: "AX",
  methods: { POST: bind, DELETE: unbind, PUT: modify, GET: query },
};

export const axCalleeRoute: Route = {
  mode: "AX",
  methods: { PUT: setTemporaryCallee },
};
