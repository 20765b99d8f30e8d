import { randomBytes } from "node:crypto";
import type { AxeRoute } from "./axe-state.js";
import type { BindingRecord, NumberStatus } from "./state.js";

/** A call to simulate over a live binding. */
export interface SimulatedCallInput {
  readonly subscriptionId: string;
  /**
   * Who dials X: `a` (AXB: reaches B; AX: the temporary callee; AXE: the call-back party; AXYB: dials Y
   * and reaches B) or `b` (AXB: B reaches A; AX: `peer` reaches A; AXE: `peer` dials X and A's extension
   * and reaches A; AXYB: B dials X and reaches A).
   */
  readonly from: "a" | "b";
  /**
   * Whether the callee picks up.
   * @default true
   */
  readonly answered?: boolean;
  /**
   * Talk time of an answered call, in seconds.
   * @default 60
   */
  readonly durationSeconds?: number;
  /**
   * AX, AXE: the number that dials X (AXE: and the extension) to reach A (these bindings hold only A).
   * Not used when A dials X: that call goes to A's temporary callee (AX, §5.3) or call-back party (AXE, §6).
   * @default "+8613000000000"
   */
  readonly peer?: string;
}

/** What a simulated call pushed. */
export interface SimulatedCall {
  readonly sessionId: string;
  readonly icid: string;
  /** The privacy number dialled: X, or in AXYB for A's call, Y. */
  readonly x: string;
  readonly caller: string;
  readonly called: string;
  /** Call events in push order, then `fee`. */
  readonly pushed: readonly string[];
}

export interface CallPush {
  readonly kind: "call" | "fee";
  readonly body: Record<string, unknown>;
}

const DEFAULT_PEER = "+8613000000000";
/**
 * Teardown point of A's call through its AX X when no temporary callee is set (or it expired). The platform
 * documents no code for this case (unconfirmed); 8100 "callee number does not exist" is the nearest.
 */
export const NO_TEMP_CALLEE_STATE_CODE = 8100;
/**
 * Teardown point of A's call through its AXE X with no call-back record and no `callbackNum` (the
 * `callbackTone`, if any, is played first). Undocumented (unconfirmed); the same 8100 as AX.
 */
export const NO_CALLBACK_STATE_CODE = 8100;
const RING_MS = 2_000;
const ANSWER_AFTER_MS = 5_000;
const NO_ANSWER_AFTER_MS = 30_000;

/** Platform time, as pushes, CDRs and query answers write it: UTC `yyyy-MM-dd HH:mm:ss` (§1). */
export function platformTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * The pushes of one call (§11.1, §11.2, §16), stamped from `startMs` on: callin, alerting, answer (if
 * answered), disconnect, then one CDR. On a paused or abnormal X the call is refused after callin
 * (teardown 8055, "X has no call permission"); so is A's AX call with no live temporary callee
 * ({@link NO_TEMP_CALLEE_STATE_CODE}). Pure but for the random session and CDR IDs.
 */
export function callPushes(
  binding: BindingRecord,
  xStatus: NumberStatus,
  input: SimulatedCallInput,
  startMs: number,
  /** AXE, A dials X: where the call goes (see `AxeState.routeFromA`). */
  axeRoute: AxeRoute = {},
): { call: SimulatedCall; pushes: CallPush[] } {
  const peer = input.peer ?? DEFAULT_PEER;
  const axeFromA = binding.mode === "AXE" && input.from === "a";
  // AX, A dials X: the platform connects A to the temporary callee set shortly before (§5, §5.3); with none
  // set there is nobody to forward to, so the call is refused after callin (called: X) rather than sent to
  // some made-up party.
  const temp = binding.mode === "AX" && input.from === "a" ? liveTempCallee(binding, startMs) : undefined;
  // AXYB: A dials Y to reach B, B dials X to reach A; each sees the other side's privacy number. With
  // the YB relation gone, A's call through Y has nobody to reach, while X still carries A.
  const axyb = binding.mode === "AXYB";
  const dialled = axyb && input.from === "a" ? (binding.y ?? binding.x) : binding.x;
  const shown = axyb ? (input.from === "a" ? binding.x : (binding.y ?? binding.x)) : binding.x;
  const noCallee =
    (binding.mode === "AX" && input.from === "a" && temp === undefined) ||
    (axeFromA && axeRoute.called === undefined) ||
    (axyb && input.from === "a" && (binding.y === undefined || binding.b === undefined));
  const [caller, called] =
    binding.mode === "AXB" || axyb
      ? input.from === "a"
        ? [binding.a, binding.b ?? peer]
        : [binding.b ?? peer, binding.a]
      : input.from === "a"
        ? [binding.a, temp?.calleeNum ?? axeRoute.called ?? binding.x]
        : [peer, binding.a];
  // A call to the temporary callee carries the userData set with it (§5.3), else the binding's (unconfirmed).
  const userData = temp?.userData ?? binding.userData;
  const hex = randomBytes(8).toString("hex");
  const sessionId = `${hex.slice(0, 4)}_${hex.slice(4, 8)}_${parseInt(hex.slice(8), 16)}_${platformTime(startMs).replace(/\D/g, "")}@callenabler.sim.local`;
  const icid = `sim-${randomBytes(12).toString("hex")}`;
  const xBlocked = xStatus === "paused" || xStatus === "abnormal";
  const blocked = xBlocked || noCallee;
  const answered = !blocked && (input.answered ?? true);
  const alertingMs = startMs + RING_MS;
  const answerMs = startMs + ANSWER_AFTER_MS;
  const endMs = blocked
    ? startMs + 1_000
    : answered
      ? answerMs + Math.max(0, input.durationSeconds ?? 60) * 1000
      : alertingMs + NO_ANSWER_AFTER_MS;
  const [stateCode, stateDesc] = xBlocked
    ? [8055, "The X number has no call permission."]
    : noCallee
      ? axeFromA
        ? [
            NO_CALLBACK_STATE_CODE,
            axeRoute.tone === undefined ? "No call-back record." : "No call-back record; tone played.",
          ]
        : [NO_TEMP_CALLEE_STATE_CODE, "No temporary callee is set."]
      : answered
        ? [0, "The user releases the call."]
        : [8101, "The callee does not answer."];

  const info = (atMs: number, calledNum: string): Record<string, unknown> => ({
    timestamp: platformTime(atMs),
    sessionId,
    caller,
    called: calledNum,
    subscriptionId: binding.subscriptionId,
    // AXE (§11.1): the extension of the binding the call runs over (exact presence unconfirmed).
    ...(binding.extension === undefined ? {} : { extendNum: binding.extension }),
  });
  const events: [string, Record<string, unknown>][] = [
    [
      "callin",
      {
        ...info(startMs, dialled),
        ...(userData === undefined ? {} : { userData }),
      },
    ],
  ];
  if (!blocked) events.push(["alerting", info(alertingMs, called)]);
  if (answered) events.push(["answer", info(answerMs, called)]);
  events.push(["disconnect", { ...info(endMs, called), stateCode, stateDesc }]);

  const recorded = answered && binding.attrs.recordFlag === true;
  const fee: Record<string, unknown> = {
    // 0: a call between A and another user; 2: abnormal (§11.2), used here for A's call with no callee.
    direction: noCallee ? 2 : 0,
    spId: "sim-sp",
    appKey: binding.appKey,
    icid,
    bindNum: dialled,
    sessionId,
    callerNum: caller,
    calleeNum: called,
    // AXE displayNumMode 1: A sees the real caller (§6.1); everyone else always sees X.
    fwdDisplayNum: binding.axe?.displayNumMode === "1" && input.from === "b" ? caller : shown,
    ...(noCallee ? {} : { fwdDstNum: called }),
    callInTime: platformTime(startMs),
    ...(blocked
      ? { failTime: platformTime(endMs) }
      : {
          fwdStartTime: platformTime(startMs + 500),
          fwdAlertingTime: platformTime(alertingMs),
          ...(answered ? { fwdAnswerTime: platformTime(answerMs) } : {}),
        }),
    callEndTime: platformTime(endMs),
    fwdUnaswRsn: blocked ? 0 : answered ? 31 : 19,
    ulFailReason: stateCode,
    sipStatusCode: answered ? 200 : noCallee ? 404 : blocked ? 403 : 480,
    callOutUnaswRsn: 0,
    recordFlag: recorded ? 1 : 0,
    ...(recorded
      ? {
          recordStartTime: platformTime(answerMs),
          recordObjectName: `${icid}.wav`,
          recordBucketName: "sim-records",
          recordDomain: "sim-records.obs.local",
        }
      : {}),
    ttsPlayTimes: 0,
    ttsTransDuration: 0,
    mptyId: `sim-${hex}`,
    serviceType: "004",
    hostName: "callenabler.sim.local",
    voiceCheckType: "0",
    subscriptionId: binding.subscriptionId,
    ...(binding.extension === undefined ? {} : { extendNum: binding.extension }),
    ...(userData === undefined ? {} : { userData }),
  };

  const pushes: CallPush[] = [
    ...events.map(([eventType, statusInfo]): CallPush => ({ kind: "call", body: { eventType, statusInfo } })),
    { kind: "fee", body: { eventType: "fee", feeLst: [fee] } },
  ];
  return {
    call: { sessionId, icid, x: dialled, caller, called, pushed: [...events.map(([e]) => e), "fee"] },
    pushes,
  };
}

/** The AX binding's temporary callee (§5.3) if one is set and not expired at `nowMs`. */
export function liveTempCallee(binding: BindingRecord, nowMs: number): BindingRecord["tempCallee"] {
  const temp = binding.tempCallee;
  return temp !== undefined && temp.expiresAtMs > nowMs ? temp : undefined;
}
