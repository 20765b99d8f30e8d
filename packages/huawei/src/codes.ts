import type { FailureKind } from "@bindpool/core";

/** What the driver makes of one platform result code. */
export interface ResultCodeInfo {
  /** The outcome kind the code maps to (`ok` for success). */
  readonly kind: FailureKind | "ok";
  /** The platform's `resultdesc` (approximately), for messages when the answer carries none. */
  readonly description: string;
}

/**
 * Every result code the platform documents (platform facts §10), mapped to an outcome kind. A code that
 * is not here classifies as `unknown`.
 */
export const RESULT_CODES: Readonly<Record<string, ResultCodeInfo>> = {
  "0": { kind: "ok", description: "Success." },
  // Platform-side failures: retry with backoff.
  "1010001": { kind: "transient", description: "Internal system error." },
  "1020002": { kind: "transient", description: "Internal error." },
  "1023001": { kind: "transient", description: "Internal error." },
  // Malformed request: fix the request, do not retry.
  "1010002": { kind: "invalidParam", description: "Invalid request or parameter." },
  "1012012": { kind: "invalidParam", description: "Application does not open recording function." },
  // Credentials, app or account state.
  "1010003": { kind: "auth", description: "Invalid app_key." },
  "1010004": { kind: "auth", description: "The status of the app_key is unavailable." },
  "1010008": { kind: "auth", description: "The status of the app_key is unavailable." },
  "1010029": { kind: "auth", description: "The subscriber status is frozen." },
  "1020150": { kind: "auth", description: "The app_key is invalid." },
  "1020166": { kind: "auth", description: "The app client ip is not in ip white list." },
  "1023006": { kind: "auth", description: "Authorization not contained in the HTTP header." },
  "1023007": { kind: "auth", description: "realm not contained in Authorization." },
  // Platform-wide flow control: back off (the docs say about a minute).
  "1010010": { kind: "rateLimited", description: "The flow control upper limit is reached on the platform." },
  // The app belongs to another mode than the API called.
  "1010040": { kind: "modeMismatch", description: "The app_key is not allowed to invoke the API." },
  // The X cannot be used: not this app's, bad format, blacklisted.
  "1011001": { kind: "numberAbnormal", description: "Account does not exist." },
  "1012001": { kind: "numberAbnormal", description: "Resource of number is not to be applied." },
  "1012102": { kind: "numberAbnormal", description: "The number is contained in the blacklist." },
  // No room: X full, or no idle X / extension.
  "1011002": { kind: "exhausted", description: "Insufficient number resources." },
  "1012008": { kind: "exhausted", description: "Insufficient number of resources." },
  "1012009": { kind: "exhausted", description: "Maximum number of resources has been exceeded." },
  "1020167": { kind: "exhausted", description: "No idle extend Number." },
  // A user number (or the AX X) is already taken on that X.
  "1011005": { kind: "conflict", description: "Resources have been allocated." },
  "1012010": { kind: "conflict", description: "The relation number has been bound." },
  // AX: the A already holds 5 X.
  "1011003": {
    kind: "userLimit",
    description: "Exceeded the upper limit of resources that can be applied for.",
  },
  // No such binding.
  "1011004": { kind: "notFound", description: "The number is not applied for binding application." },
  "1012007": { kind: "notFound", description: "The record does not exist." },
  "1016001": { kind: "notFound", description: "The record does not exist." },
  // No such call session (stop call, §12.2): the call already ended, or the ID is wrong.
  "1020152": { kind: "notFound", description: "Invalid sessionId." },
  // Listed by the platform with a truncated text and no confirmed meaning.
  "1016002": { kind: "unknown", description: "The record ... (meaning unconfirmed)." },
};

/** The outcome kind of a platform result code; `unknown` for a code the platform does not document. */
export function classifyResultCode(code: string): FailureKind | "ok" {
  return Object.hasOwn(RESULT_CODES, code) ? RESULT_CODES[code]!.kind : "unknown";
}

/**
 * The outcome kind of an HTTP answer that carries no documented result code: 5xx transient, 429
 * rateLimited, 401/403 auth, 404 invalidParam (the docs: wrong base URL or URI), anything else unknown.
 */
export function classifyStatus(status: number): FailureKind {
  if (status >= 500) return "transient";
  if (status === 429) return "rateLimited";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "invalidParam";
  return "unknown";
}

/** The outcome kind of an HTTP answer: a documented `resultcode` decides, else the HTTP status. */
export function classifyAnswer(status: number, resultcode: string): FailureKind | "ok" {
  if (Object.hasOwn(RESULT_CODES, resultcode)) {
    const kind = RESULT_CODES[resultcode]!.kind;
    // A success code on an error status is not a success.
    if (kind !== "ok" || (status >= 200 && status < 300)) return kind;
  }
  return classifyStatus(status);
}
