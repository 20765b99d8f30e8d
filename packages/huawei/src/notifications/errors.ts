import { mask } from "@bindpool/core";

/**
 * Why a push was not delivered to `onEvent`. Stable: match on `code`, not on the message.
 * `NOTIFY_UNKNOWN_EVENT` is answered 200 (the platform stops retrying) but never delivered.
 */
export type NotificationErrorCode =
  | "NOTIFY_BAD_SIGNATURE" // missing or malformed Authorization / X-AKSK / X-WSSE, wrong app key, wrong digest
  | "NOTIFY_STALE" // Created outside the window
  | "NOTIFY_REPLAYED" // a nonce already seen within the window
  | "NOTIFY_MALFORMED" // not JSON, or a known eventType whose body does not fit its schema
  | "NOTIFY_TOO_LARGE" // body over maxBodyBytes
  | "NOTIFY_BAD_METHOD" // not a POST (node and fetch forms only)
  | "NOTIFY_UNKNOWN_EVENT" // signed and JSON, but no eventType this handler knows (e.g. SMS pushes)
  | "NOTIFY_LISTENER_FAILED"; // onEvent threw or rejected: answered 500 so the platform retries

/** The HTTP status the handler answers for each error code. */
export const NOTIFICATION_ERROR_STATUS: Readonly<Record<NotificationErrorCode, number>> = {
  NOTIFY_BAD_SIGNATURE: 401,
  NOTIFY_STALE: 401,
  NOTIFY_REPLAYED: 401,
  NOTIFY_MALFORMED: 400,
  NOTIFY_TOO_LARGE: 413,
  NOTIFY_BAD_METHOD: 405,
  NOTIFY_UNKNOWN_EVENT: 200,
  NOTIFY_LISTENER_FAILED: 500,
};

/** A push the notification handler rejected (or, for `NOTIFY_UNKNOWN_EVENT`, accepted but did not deliver). */
export class NotificationError extends Error {
  readonly code: NotificationErrorCode;
  /** The HTTP status answered to the platform. */
  readonly httpStatus: number;
  constructor(code: NotificationErrorCode, message: string, options?: { cause?: unknown }) {
    super(maskPhones(message), options);
    this.code = code;
    this.httpStatus = NOTIFICATION_ERROR_STATUS[code];
    this.name = "NotificationError";
  }
}

/** Replaces every phone-number-like run of digits (7 or more, optional `+`) with its masked form. */
export function maskPhones(text: string): string {
  return text.replace(/\+?\d{7,}/g, (phone) => mask(phone));
}
