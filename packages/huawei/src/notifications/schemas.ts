import type { NumberState } from "@bindpool/core";
import { z } from "zod";
import { IntegerField, parsePlatformTime } from "../schemas.js";

// Pushes are parsed leniently, like real ones arrive (§11, §16): unknown fields are kept, integers may be
// numeric strings, `null` means absent. Required is only what an event is useless without.

const Text = z.string().max(1024);
const OptionalText = Text.nullish().transform((v) => v ?? undefined);
const OptionalInteger = IntegerField.nullish().transform((v) => v ?? undefined);

/** Call events of §11.1, in the order a call produces them. */
export const CALL_EVENT_TYPES = ["callin", "callout", "alerting", "answer", "disconnect"] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export const StatusInfoSchema = z.looseObject({
  /** Call-leg ID, String(1-256). */
  sessionId: z.string().min(1).max(256),
  /** UTC `yyyy-MM-dd HH:mm:ss`. */
  timestamp: z.string().min(1).max(64),
  caller: OptionalText,
  called: OptionalText,
  subscriptionId: OptionalText,
  /** Hang-up cause, disconnect only (0 = the user released the call). */
  stateCode: OptionalInteger,
  stateDesc: OptionalText,
  userData: OptionalText,
  extendNum: OptionalText,
});

export const CallPushSchema = z.looseObject({
  eventType: z.enum(CALL_EVENT_TYPES),
  statusInfo: StatusInfoSchema,
});

/** One CDR of §11.2; every field optional, unknown fields kept (real CDRs carry more, §16). */
export const FeeRecordSchema = z.looseObject({
  direction: OptionalInteger,
  spId: OptionalText,
  appKey: OptionalText,
  icid: OptionalText,
  /** The X number. */
  bindNum: OptionalText,
  sessionId: OptionalText,
  callerNum: OptionalText,
  calleeNum: OptionalText,
  fwdDisplayNum: OptionalText,
  fwdDstNum: OptionalText,
  callInTime: OptionalText,
  fwdStartTime: OptionalText,
  fwdAlertingTime: OptionalText,
  fwdAnswerTime: OptionalText,
  callEndTime: OptionalText,
  /** Q.850 cause of the forwarded leg; 31 = normal. */
  fwdUnaswRsn: OptionalInteger,
  failTime: OptionalText,
  /** Teardown point (0 = normal hang-up after connect; 7xxx/8xxx see §11.2). */
  ulFailReason: OptionalInteger,
  sipStatusCode: OptionalInteger,
  callOutStartTime: OptionalText,
  callOutAlertingTime: OptionalText,
  callOutAnswerTime: OptionalText,
  callOutUnaswRsn: OptionalInteger,
  /** 0 or 1. */
  recordFlag: OptionalInteger,
  recordStartTime: OptionalText,
  recordObjectName: OptionalText,
  recordBucketName: OptionalText,
  recordDomain: OptionalText,
  recordFileDownloadUrl: OptionalText,
  serviceType: OptionalText,
  hostName: OptionalText,
  subscriptionId: OptionalText,
  extendNum: OptionalText,
  userData: OptionalText,
  ttsPlayTimes: OptionalInteger,
  ttsTransDuration: OptionalInteger,
  mptyId: OptionalText,
  voiceCheckType: OptionalText,
});
/** One CDR as delivered: the documented fields typed, any other field kept as it came. */
export type FeeRecord = z.output<typeof FeeRecordSchema>;

export const FeePushSchema = z.looseObject({
  eventType: z.literal("fee"),
  /** 1 to 50 records per push (§11.2). */
  feeLst: z.array(FeeRecordSchema).min(1).max(50),
});

/** X number status codes of §11.3. */
export const X_NUMBER_STATUS = { normal: 5, paused: 9, unavailable: 10, frozen: 11 } as const;
export type XNumberStatus = (typeof X_NUMBER_STATUS)[keyof typeof X_NUMBER_STATUS];

export const NumInfoSchema = z.looseObject({
  number: z.string().min(1).max(64),
  status: IntegerField.pipe(z.literal([5, 9, 10, 11])),
  /** Why the number is unavailable (1 deleted, 2 arrears, 3 shut down, 5 call-restricted, ...). */
  cause: OptionalInteger,
});

export const NumStatusPushSchema = z.looseObject({
  eventType: z.literal("numStatus"),
  /** 1 to 100 numbers per push (§11.3). */
  numInfo: z.array(NumInfoSchema).min(1).max(100),
});

/** The state bindpool gives an X for a platform status. */
export type XNumberState = Extract<NumberState, "active" | "quarantined" | "draining">;

const STATE_OF_STATUS: Readonly<Record<XNumberStatus, XNumberState>> = {
  5: "active", // normal again: takes binds
  9: "quarantined", // paused: bind, call and SMS unavailable
  10: "quarantined", // unavailable: bind, call and SMS unavailable
  11: "draining", // frozen-binding: no new binds, existing bindings still call
};

/** The bindpool number state for a platform X status (5 active, 9/10 quarantined, 11 draining). Pure. */
export function numberStateForStatus(status: XNumberStatus): XNumberState {
  return STATE_OF_STATUS[status];
}

/** A call event (§11.1). `timestamp` is the platform's UTC text; `timestampMs` its value when well-formed. */
export interface CallNotification {
  readonly type: "call";
  readonly event: CallEventType;
  readonly sessionId: string;
  readonly timestamp: string;
  readonly timestampMs?: number;
  readonly subscriptionId?: string;
  readonly caller?: string;
  readonly called?: string;
  readonly stateCode?: number;
  readonly stateDesc?: string;
  readonly userData?: string;
  readonly extendNum?: string;
}

/** A CDR list (§11.2): 1 to 50 records of calls that ended close together. */
export interface FeeNotification {
  readonly type: "fee";
  readonly records: readonly FeeRecord[];
}

/** One X number in a status push, with the state bindpool should give it. */
export interface NumberStatusChange {
  readonly x: string;
  readonly status: XNumberStatus;
  readonly cause?: number;
  readonly state: XNumberState;
}

/** An X number status push (§11.3). */
export interface NumberStatusNotification {
  readonly type: "numberStatus";
  readonly numbers: readonly NumberStatusChange[];
}

/** Every event the handler delivers to `onEvent`. */
export type NotificationEvent = CallNotification | FeeNotification | NumberStatusNotification;

/** Billable minutes of a CDR: ceil((callEndTime - fwdAnswerTime) / 60 s); 0 when it was not answered. */
export function billableMinutes(record: FeeRecord): number {
  const answered = record.fwdAnswerTime === undefined ? undefined : parsePlatformTime(record.fwdAnswerTime);
  const ended = record.callEndTime === undefined ? undefined : parsePlatformTime(record.callEndTime);
  if (answered === undefined || ended === undefined || ended <= answered) return 0;
  return Math.ceil((ended - answered) / 60_000);
}
