import { randomBytes } from "node:crypto";
import { z } from "zod";
import { signPushHeaders } from "./auth.js";
import { type CallPush, callPushes, platformTime } from "./calls.js";
import type { AppConfig, BindingRecord, NumberStatus } from "./state.js";

// X mode (§8): the platform keeps no bindings. For each call to X it sends `callin` in Block mode to the
// app's call-status URL and does what the answer says. The answer's field names are unconfirmed (§15
// item 9); this reads the current reference page and Huawei's demo code: `operation` "connect" with
// `connectInfo` {calleeNum, displayCalleeNum?, maxDuration?, recordFlag?, waitVoice?, recordHintTone?,
// lastMinVoice?, userData?}, or "close" with `closeInfo` {closeHintTone?, userData?}. Each info is taken
// as an object or as a one-element array (the demo code sends arrays).

/** How the simulator asks X-mode apps (Block `callin`). */
export interface XModeOptions {
  /**
   * Receiver of the Block `callin` (the platform can route callin to its own URL on request).
   * @default push.callEventsUrl ?? push.url
   */
  readonly callinUrl?: string;
  /**
   * How long the platform waits for the answer, in ms; then the call ends (`X_NO_ANSWER_STATE_CODE`).
   * @default 5_000
   */
  readonly answerTimeoutMs?: number;
}

/** A call to an X of an X-mode app. */
export interface XCallInput {
  /** The X dialled. */
  readonly x: string;
  /** Who dials it. */
  readonly caller: string;
  /** Whether the callee the app names picks up. @default true */
  readonly answered?: boolean;
  /** Talk time of an answered call, in seconds (cut at the answer's `maxDuration`). @default 60 */
  readonly durationSeconds?: number;
}

/**
 * What became of an X-mode call: `connected` to the answer's callee (who may not pick up), `closed` by
 * the app, `noAnswer` (no HTTP 200 in time) or `invalidAnswer` (200 with a body that is not a decision:
 * both end the call without connecting it), or `blocked` (X paused or abnormal: the app is not asked).
 */
export type XCallOutcome = "connected" | "closed" | "noAnswer" | "invalidAnswer" | "blocked";

/** A parsed Block answer. */
export type XModeAnswer =
  | {
      readonly operation: "connect";
      readonly calleeNum: string;
      readonly displayCalleeNum?: string;
      readonly maxDuration?: number;
      readonly recordFlag?: boolean;
      readonly userData?: string;
    }
  | { readonly operation: "close"; readonly closeHintTone?: string; readonly userData?: string };

export interface XCall {
  readonly sessionId: string;
  readonly x: string;
  readonly caller: string;
  /** The callee the app named (connected calls only). */
  readonly called?: string;
  readonly outcome: XCallOutcome;
  readonly answer?: XModeAnswer;
  /** Events pushed, in order: `callin` (Block), then the Notify events, then `fee`. */
  readonly pushed: readonly string[];
}

/**
 * Teardown point of a call the app closed. The platform documents none for X mode (unconfirmed); 8018
 * "no service permission (e.g. no binding)" is the nearest.
 */
export const X_CLOSED_STATE_CODE = 8018;
/** Teardown point of a call whose Block answer did not come or made no sense (unconfirmed; 7102 internal error). */
export const X_NO_ANSWER_STATE_CODE = 7102;
/** Teardown point of a call cut at the answer's `maxDuration` (§11.2: 8010 max call duration reached). */
export const X_MAX_DURATION_STATE_CODE = 8010;
const DEFAULT_ANSWER_TIMEOUT_MS = 5_000;

const Phone = z.string().regex(/^\+?\d{4,31}$/);
const Flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const Minutes = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.number().int().min(0).max(1440));
const Text = z.string().max(256);
const oneOf = <T extends z.ZodType>(info: T) => z.union([info, z.tuple([info]).transform(([v]) => v)]);
const ConnectInfo = z.looseObject({
  calleeNum: Phone,
  displayCalleeNum: Phone.optional(),
  maxDuration: Minutes.optional(),
  recordFlag: Flag.optional(),
  userData: Text.optional(),
});
const CloseInfo = z.looseObject({ closeHintTone: Text.optional(), userData: Text.optional() });
const AnswerSchema = z.discriminatedUnion("operation", [
  z.looseObject({ operation: z.literal("connect"), connectInfo: oneOf(ConnectInfo) }),
  z.looseObject({ operation: z.literal("close"), closeInfo: oneOf(CloseInfo).optional() }),
]);

/** Reads a Block answer body; undefined when it is not a decision. Pure. */
export function parseXModeAnswer(text: string): XModeAnswer | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = AnswerSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const a = parsed.data;
  if (a.operation === "close") return { operation: "close", ...defined(a.closeInfo ?? {}) };
  const { calleeNum, displayCalleeNum, maxDuration, recordFlag, userData } = a.connectInfo;
  return {
    operation: "connect",
    calleeNum,
    ...defined({ displayCalleeNum, maxDuration, recordFlag, userData }),
  };
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Everything one X-mode call needs from the server. */
export interface XCallContext {
  readonly app: AppConfig;
  readonly xStatus: NumberStatus;
  readonly callinUrl: string;
  readonly answerTimeoutMs?: number;
  /** Simulated start of the call (the `now` clock). */
  readonly startMs: number;
  /** Wall clock for the signature's `Created`. */
  readonly wallClockMs: () => number;
  /** Sends one Notify push (call event or CDR) the way every other push goes. */
  readonly notify: (push: CallPush) => Promise<void>;
}

/**
 * Runs one call to an X of an X-mode app: asks the app with a signed Block `callin` (no retries: the
 * caller is waiting), then pushes the call's other events and its CDR as the answer makes them.
 */
export async function runXCall(ctx: XCallContext, input: XCallInput): Promise<XCall> {
  const { app, startMs } = ctx;
  const hex = randomBytes(8).toString("hex");
  const sessionId = `${hex.slice(0, 4)}_${hex.slice(4, 8)}_${parseInt(hex.slice(8), 16)}_${platformTime(startMs).replace(/\D/g, "")}@callenabler.sim.local`;
  const base = { x: input.x, caller: input.caller, sessionId };
  const callin = {
    eventType: "callin",
    statusInfo: {
      timestamp: platformTime(startMs),
      sessionId,
      caller: input.caller,
      called: input.x,
      // Only X-mode pushes carry it (Huawei's demo code reads statusInfo.notifyMode).
      notifyMode: "Block",
    },
  };
  if (ctx.xStatus === "paused" || ctx.xStatus === "abnormal") {
    // A number without call permission is not offered to the app (as in the other modes: 8055).
    await ctx.notify({ kind: "call", body: callin });
    const pushed = await endWithoutConnect(ctx, base, 8055, "The X number has no call permission.");
    return { ...base, outcome: "blocked", pushed: ["callin", ...pushed] };
  }

  const text = await ask(ctx, callin);
  const answer = text === undefined ? undefined : parseXModeAnswer(text);
  if (answer === undefined) {
    const outcome = text === undefined ? "noAnswer" : "invalidAnswer";
    const pushed = await endWithoutConnect(
      ctx,
      base,
      X_NO_ANSWER_STATE_CODE,
      "No routing answer from the app.",
    );
    return { ...base, outcome, pushed: ["callin", ...pushed] };
  }
  if (answer.operation === "close") {
    const pushed = await endWithoutConnect(
      ctx,
      base,
      X_CLOSED_STATE_CODE,
      "The app closed the call.",
      answer.userData,
    );
    return { ...base, outcome: "closed", answer, pushed: ["callin", ...pushed] };
  }

  const talkSeconds = Math.max(0, input.durationSeconds ?? 60);
  const limitSeconds = answer.maxDuration ? answer.maxDuration * 60 : Number.POSITIVE_INFINITY;
  const cut = (input.answered ?? true) && talkSeconds > limitSeconds;
  // The connected leg is an AXB-like call from the caller to the named callee (same events and CDR).
  const leg: BindingRecord = {
    appKey: app.appKey,
    mode: "AXB",
    subscriptionId: "",
    x: input.x,
    a: input.caller,
    b: answer.calleeNum,
    durationSeconds: 0,
    createdAtMs: startMs,
    ...(answer.userData === undefined ? {} : { userData: answer.userData }),
    attrs: answer.recordFlag === undefined ? {} : { recordFlag: answer.recordFlag },
    live: true,
  };
  const { pushes } = callPushes(
    leg,
    ctx.xStatus,
    {
      subscriptionId: "",
      from: "a",
      ...(input.answered === undefined ? {} : { answered: input.answered }),
      durationSeconds: cut ? limitSeconds : talkSeconds,
    },
    startMs,
  );
  const pushed: string[] = ["callin"];
  for (const push of pushes.slice(1)) {
    const body = xModeBody(push.body, sessionId, answer.displayCalleeNum ?? input.x, cut);
    await ctx.notify({ kind: push.kind, body });
    pushed.push(String(body.eventType));
  }
  return { ...base, called: answer.calleeNum, outcome: "connected", answer, pushed };
}

/** POSTs the Block callin; the answer's body on HTTP 200, else undefined (error, other status, timeout). */
async function ask(ctx: XCallContext, callin: object): Promise<string | undefined> {
  try {
    const res = await fetch(ctx.callinUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/json;charset=UTF-8",
        ...signPushHeaders(ctx.app.appKey, ctx.app.appSecret, ctx.wallClockMs()),
      },
      body: JSON.stringify(callin),
      signal: AbortSignal.timeout(ctx.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS),
    });
    const text = await res.text();
    return res.status === 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** An X-mode leg's push: X mode has no binding, so no subscriptionId; the display number the app chose. */
function xModeBody(
  body: Record<string, unknown>,
  sessionId: string,
  display: string,
  cut: boolean,
): Record<string, unknown> {
  if (body.eventType === "fee") {
    const [fee] = body.feeLst as Record<string, unknown>[];
    const { subscriptionId: _, ...rest } = fee!;
    const record: Record<string, unknown> = { ...rest, sessionId, fwdDisplayNum: display };
    if (cut) record.ulFailReason = X_MAX_DURATION_STATE_CODE;
    return { eventType: "fee", feeLst: [record] };
  }
  const { subscriptionId: _, ...info } = body.statusInfo as Record<string, unknown>;
  const statusInfo: Record<string, unknown> = { ...info, sessionId };
  if (cut && body.eventType === "disconnect") {
    statusInfo.stateCode = X_MAX_DURATION_STATE_CODE;
    statusInfo.stateDesc = "The maximum call duration is reached.";
  }
  return { eventType: body.eventType, statusInfo };
}

/** Ends a call that was never connected: disconnect with the teardown point, then its CDR (direction 2). */
async function endWithoutConnect(
  ctx: XCallContext,
  call: { x: string; caller: string; sessionId: string },
  stateCode: number,
  stateDesc: string,
  userData?: string,
): Promise<string[]> {
  const endMs = ctx.startMs + 1_000;
  const extra = userData === undefined ? {} : { userData };
  await ctx.notify({
    kind: "call",
    body: {
      eventType: "disconnect",
      statusInfo: {
        timestamp: platformTime(endMs),
        sessionId: call.sessionId,
        caller: call.caller,
        called: call.x,
        stateCode,
        stateDesc,
        ...extra,
      },
    },
  });
  await ctx.notify({
    kind: "fee",
    body: {
      eventType: "fee",
      feeLst: [
        {
          direction: 2, // abnormal: nobody to connect to (§11.2)
          spId: "sim-sp",
          appKey: ctx.app.appKey,
          icid: `sim-${randomBytes(12).toString("hex")}`,
          bindNum: call.x,
          sessionId: call.sessionId,
          callerNum: call.caller,
          calleeNum: call.x,
          fwdDisplayNum: call.x,
          callInTime: platformTime(ctx.startMs),
          failTime: platformTime(endMs),
          callEndTime: platformTime(endMs),
          fwdUnaswRsn: 0,
          ulFailReason: stateCode,
          sipStatusCode: 403,
          callOutUnaswRsn: 0,
          recordFlag: 0,
          serviceType: "004",
          hostName: "callenabler.sim.local",
          ...extra,
        },
      ],
    },
  });
  return ["disconnect", "fee"];
}
