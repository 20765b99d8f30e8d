import type { z } from "zod";
import { parsePlatformTime } from "../schemas.js";
import { NotificationError } from "./errors.js";
import {
  CALL_EVENT_TYPES,
  CallPushSchema,
  FeePushSchema,
  type NotificationEvent,
  NumStatusPushSchema,
  numberStateForStatus,
} from "./schemas.js";

const MAX_ISSUES_IN_MESSAGE = 5;

export type ParsedNotification =
  | { readonly ok: true; readonly event: NotificationEvent }
  | { readonly ok: false; readonly error: NotificationError };

/** Parses a verified body into an event; JSON without a known `eventType` is `BINDPOOL_NOTIFY_UNKNOWN_EVENT`. Pure. */
export function parseNotification(body: string): ParsedNotification {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // JSON.parse quotes the input in its message, phone numbers included: say less.
    return malformed("the body is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return malformed("the body is not a JSON object");
  }
  const eventType: unknown = (json as Record<string, unknown>).eventType;
  if (eventType === undefined) {
    return unknown("the push has no eventType (SMS and other pushes are not handled here)");
  }
  if (typeof eventType !== "string") return malformed(`eventType is a ${typeof eventType}, not a string`);
  if ((CALL_EVENT_TYPES as readonly string[]).includes(eventType)) {
    const push = CallPushSchema.safeParse(json);
    if (!push.success) return malformed(`${eventType} push: ${issues(push.error)}`);
    const { eventType: event, statusInfo: s } = push.data;
    const timestampMs = parsePlatformTime(s.timestamp);
    return {
      ok: true,
      event: {
        type: "call",
        event,
        sessionId: s.sessionId,
        timestamp: s.timestamp,
        ...(timestampMs === undefined ? {} : { timestampMs }),
        ...defined({
          subscriptionId: s.subscriptionId,
          caller: s.caller,
          called: s.called,
          stateCode: s.stateCode,
          stateDesc: s.stateDesc,
          userData: s.userData,
          extendNum: s.extendNum,
        }),
      },
    };
  }
  if (eventType === "fee") {
    const push = FeePushSchema.safeParse(json);
    if (!push.success) return malformed(`fee push: ${issues(push.error)}`);
    return { ok: true, event: { type: "fee", records: push.data.feeLst.map((r) => defined(r)) } };
  }
  if (eventType === "numStatus") {
    const push = NumStatusPushSchema.safeParse(json);
    if (!push.success) return malformed(`numStatus push: ${issues(push.error)}`);
    return {
      ok: true,
      event: {
        type: "numberStatus",
        numbers: push.data.numInfo.map((n) => ({
          x: n.number,
          status: n.status,
          ...(n.cause === undefined ? {} : { cause: n.cause }),
          state: numberStateForStatus(n.status),
        })),
      },
    };
  }
  return unknown(`eventType ${JSON.stringify(eventType.slice(0, 64))} is not handled`);
}

function malformed(message: string): ParsedNotification {
  return { ok: false, error: new NotificationError("BINDPOOL_NOTIFY_MALFORMED", message) };
}

function unknown(message: string): ParsedNotification {
  return { ok: false, error: new NotificationError("BINDPOOL_NOTIFY_UNKNOWN_EVENT", message) };
}

function issues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((i) => `${i.path.map(String).join(".") || "(body)"}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; and ${more} more` : shown.join("; ");
}

/** A copy without the keys whose value is `undefined` (absent and `null` fields look the same). */
function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && key !== "__proto__") out[key] = v;
  }
  return out as T;
}
