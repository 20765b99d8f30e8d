import { randomBytes } from "node:crypto";
import type { BindingRecord, NumberStatus } from "./state.js";

/** A call to simulate over a live binding. */
export interface SimulatedCallInput {
  readonly subscriptionId: string;
  /** Who dials X: `a` (AXB: reaches B) or `b` (AXB: B reaches A; AX: `peer` reaches A). */
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
   * AX only: the number of the other party (AX bindings hold only A). When A dials X, the temporary
   * callee (§5.3) wins if one is set.
   * @default "+8613000000000"
   */
  readonly peer?: string;
}

/** What a simulated call pushed. */
export interface SimulatedCall {
  readonly sessionId: string;
  readonly icid: string;
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
 * (teardown 8055, "X has no call permission"). Pure but for the random session and CDR IDs.
 */
export function callPushes(
  binding: BindingRecord,
  xStatus: NumberStatus,
  input: SimulatedCallInput,
  startMs: number,
): { call: SimulatedCall; pushes: CallPush[] } {
  const peer = input.peer ?? DEFAULT_PEER;
  const [caller, called] =
    binding.mode === "AXB"
      ? input.from === "a"
        ? [binding.a, binding.b ?? peer]
        : [binding.b ?? peer, binding.a]
      : input.from === "a"
        ? [binding.a, liveTempCallee(binding, startMs) ?? peer]
        : [peer, binding.a];
  const hex = randomBytes(8).toString("hex");
  const sessionId = `${hex.slice(0, 4)}_${hex.slice(4, 8)}_${parseInt(hex.slice(8), 16)}_${platformTime(startMs).replace(/\D/g, "")}@callenabler.sim.local`;
  const icid = `sim-${randomBytes(12).toString("hex")}`;
  const blocked = xStatus === "paused" || xStatus === "abnormal";
  const answered = !blocked && (input.answered ?? true);
  const alertingMs = startMs + RING_MS;
  const answerMs = startMs + ANSWER_AFTER_MS;
  const endMs = blocked
    ? startMs + 1_000
    : answered
      ? answerMs + Math.max(0, input.durationSeconds ?? 60) * 1000
      : alertingMs + NO_ANSWER_AFTER_MS;
  const [stateCode, stateDesc] = blocked
    ? [8055, "The X number has no call permission."]
    : answered
      ? [0, "The user releases the call."]
      : [8101, "The callee does not answer."];

  const info = (atMs: number, calledNum: string): Record<string, unknown> => ({
    timestamp: platformTime(atMs),
    sessionId,
    caller,
    called: calledNum,
    subscriptionId: binding.subscriptionId,
  });
  const events: [string, Record<string, unknown>][] = [
    [
      "callin",
      {
        ...info(startMs, binding.x),
        ...(binding.userData === undefined ? {} : { userData: binding.userData }),
      },
    ],
  ];
  if (!blocked) events.push(["alerting", info(alertingMs, called)]);
  if (answered) events.push(["answer", info(answerMs, called)]);
  events.push(["disconnect", { ...info(endMs, called), stateCode, stateDesc }]);

  const recorded = answered && binding.attrs.recordFlag === true;
  const fee: Record<string, unknown> = {
    direction: 0,
    spId: "sim-sp",
    appKey: binding.appKey,
    icid,
    bindNum: binding.x,
    sessionId,
    callerNum: caller,
    calleeNum: called,
    fwdDisplayNum: binding.x,
    fwdDstNum: called,
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
    sipStatusCode: answered ? 200 : blocked ? 403 : 480,
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
    ...(binding.userData === undefined ? {} : { userData: binding.userData }),
  };

  const pushes: CallPush[] = [
    ...events.map(([eventType, statusInfo]): CallPush => ({ kind: "call", body: { eventType, statusInfo } })),
    { kind: "fee", body: { eventType: "fee", feeLst: [fee] } },
  ];
  return {
    call: { sessionId, icid, x: binding.x, caller, called, pushed: [...events.map(([e]) => e), "fee"] },
    pushes,
  };
}

function liveTempCallee(binding: BindingRecord, nowMs: number): string | undefined {
  const temp = binding.tempCallee;
  return temp !== undefined && temp.expiresAtMs > nowMs ? temp.calleeNum : undefined;
}
