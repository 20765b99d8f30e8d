import { BindpoolError, maskPhones } from "@bindpool/core";

/**
 * Why a push was not delivered to `onEvent`. Stable: match on `code`, not on the message.
 * `BINDPOOL_NOTIFY_UNKNOWN_EVENT` is answered 200 (the platform stops retrying) but never delivered.
 */
export type NotificationErrorCode =
  | "BINDPOOL_NOTIFY_BAD_SIGNATURE" // missing or malformed Authorization / X-AKSK / X-WSSE, wrong app key, wrong digest
  | "BINDPOOL_NOTIFY_STALE" // Created outside the window
  | "BINDPOOL_NOTIFY_REPLAYED" // a nonce already seen within the window
  | "BINDPOOL_NOTIFY_NONCE_STORE_FAILED" // the nonce store could not tell whether the nonce is new: refused, the platform retries
  | "BINDPOOL_NOTIFY_MALFORMED" // not JSON, or a known eventType whose body does not fit its schema
  | "BINDPOOL_NOTIFY_TOO_LARGE" // body over maxBodyBytes
  | "BINDPOOL_NOTIFY_BAD_METHOD" // not a POST (node and fetch forms only)
  | "BINDPOOL_NOTIFY_UNKNOWN_EVENT" // signed and JSON, but no eventType this handler knows (e.g. SMS pushes)
  | "BINDPOOL_NOTIFY_LISTENER_FAILED"; // onEvent threw or rejected: answered 500 so the platform retries

/** The HTTP status the handler answers for each error code. */
export const NOTIFICATION_ERROR_STATUS: Readonly<Record<NotificationErrorCode, number>> = {
  BINDPOOL_NOTIFY_BAD_SIGNATURE: 401,
  BINDPOOL_NOTIFY_STALE: 401,
  BINDPOOL_NOTIFY_REPLAYED: 401,
  BINDPOOL_NOTIFY_NONCE_STORE_FAILED: 503,
  BINDPOOL_NOTIFY_MALFORMED: 400,
  BINDPOOL_NOTIFY_TOO_LARGE: 413,
  BINDPOOL_NOTIFY_BAD_METHOD: 405,
  BINDPOOL_NOTIFY_UNKNOWN_EVENT: 200,
  BINDPOOL_NOTIFY_LISTENER_FAILED: 500,
};

/**
 * A push the notification handler rejected (or, for `BINDPOOL_NOTIFY_UNKNOWN_EVENT`, accepted but did not
 * deliver). A `BindpoolError` with one of the `BINDPOOL_NOTIFY_*` codes.
 */
export class NotificationError extends BindpoolError<NotificationErrorCode> {
  /** The HTTP status answered to the platform. */
  readonly httpStatus: number;
  constructor(code: NotificationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, maskPhones(message), options);
    this.httpStatus = NOTIFICATION_ERROR_STATUS[code];
  }
}

export { maskPhones };
