import type { Phone } from "@bindpool/core";

// The one place that knows how an X-mode Block answer looks on the wire (§8, §15 item 9). The platform
// facts mark the field names inside the connect/close objects unconfirmed; the default below follows the
// current X-mode call-event page (operation + connectInfo/closeInfo objects, ApiConnectInfo with
// displayCalleeNum, calleeNum, maxDuration, waitVoice) and Huawei's demo code (recordFlag as "true",
// recordHintTone, lastMinVoice in connectInfo; closeHintTone in closeInfo). The demo sends both as
// one-element arrays where the reference says objects: `objectsAsArrays` switches to that form, and
// `answerBody` replaces the whole rendering.

/** Why the router ends a call instead of connecting it. */
export type XModeCloseReason =
  /** The called number is not an X of the router's pools. */
  | "unknownX"
  /** No order holds the caller on this X (a stranger, or a pair whose order ended and was freed). */
  | "unknownCaller"
  /** An order holds the caller on X but is not bound now (being allocated or being completed). */
  | "notBound"
  /** The order's time is up (its TTL and grace have passed; the sweeper frees it soon). */
  | "expired"
  /** The store could not be read; the call is ended rather than sent to a guess. */
  | "error";

/** What the router decided for one `callin`. */
export type XModeDecision =
  | {
      readonly operation: "connect";
      /** The X that was called; shown to the callee (carriers require it). */
      readonly x: Phone;
      /** The real number the call goes to: the other party of the caller's pair. */
      readonly callee: Phone;
      readonly pool: string;
      readonly orderKey: string;
    }
  | { readonly operation: "close"; readonly x: Phone; readonly reason: XModeCloseReason };

/** Per-call settings the answer carries besides the decision (tones must be approved in the console). */
export interface XModeCallSettings {
  /** Longest talk time of a connected call, minutes (0–1440, 0: no limit). Sent only when set. */
  readonly maxDurationMinutes?: number;
  /** Record connected calls (the app must have recording on, else the platform answers `1012012`). */
  readonly recordFlag?: boolean;
  /** Recording notice tone file (carriers intercept recorded calls without one). */
  readonly recordHintTone?: string;
  /** Ring-back tone file the caller hears while the callee rings. */
  readonly waitVoice?: string;
  /** Tone played to both parties in the last minute of `maxDurationMinutes`. */
  readonly lastMinVoice?: string;
  /** Tone the caller hears before a closed call ends (none: the platform ends it without a tone). */
  readonly closeTone?: string;
}

/** Renders a decision into the JSON body of the Block answer. */
export type XModeAnswerBody = (decision: XModeDecision, settings: XModeCallSettings) => object;

/**
 * The default answer body: `{operation:"connect", connectInfo:{displayCalleeNum, calleeNum, ...}}` or
 * `{operation:"close", closeInfo:{closeHintTone?}}`. With `objectsAsArrays`, connectInfo and closeInfo
 * are one-element arrays, as in Huawei's demo code. Pure.
 */
export function defaultXModeAnswer(
  decision: XModeDecision,
  settings: XModeCallSettings,
  options: { readonly objectsAsArrays?: boolean } = {},
): object {
  const wrap = (info: object) => (options.objectsAsArrays ? [info] : info);
  if (decision.operation === "close") {
    const closeInfo = settings.closeTone === undefined ? {} : { closeHintTone: settings.closeTone };
    return { operation: "close", closeInfo: wrap(closeInfo) };
  }
  const connectInfo: Record<string, unknown> = {
    displayCalleeNum: decision.x,
    calleeNum: decision.callee,
  };
  if (settings.maxDurationMinutes !== undefined) connectInfo.maxDuration = settings.maxDurationMinutes;
  if (settings.waitVoice !== undefined) connectInfo.waitVoice = settings.waitVoice;
  if (settings.recordFlag !== undefined) connectInfo.recordFlag = String(settings.recordFlag);
  if (settings.recordHintTone !== undefined) connectInfo.recordHintTone = settings.recordHintTone;
  if (settings.lastMinVoice !== undefined) connectInfo.lastMinVoice = settings.lastMinVoice;
  return { operation: "connect", connectInfo: wrap(connectInfo) };
}
