/**
 * Result codes the simulator answers with, read from the platform facts (§10) independently of the driver.
 * Each entry carries the HTTP status sent with it: 200 only for success, >= 400 for every error.
 */
export const Code = {
  success: "0",
  internalError: "1010001",
  invalidRequest: "1010002",
  invalidAppKey: "1010003",
  appKeyUnavailable: "1010008",
  flowControl: "1010010",
  apiNotAllowed: "1010040",
  axNumberNotOfApp: "1011001",
  axNoIdleNumber: "1011002",
  axTooManyNumbers: "1011003",
  axNumberNotApplied: "1011004",
  axNumberTaken: "1011005",
  axbNumberNotOfApp: "1012001",
  axbRecordNotFound: "1012007",
  axbNoIdleNumber: "1012008",
  axbNumberFull: "1012009",
  axbAlreadyBound: "1012010",
  recordingNotOpen: "1012012",
  blacklisted: "1012102",
  recordNotFound: "1016001",
  appKeyInvalid: "1020150",
  noIdleExtension: "1020167",
  invalidSessionId: "1020152",
  noAuthorization: "1023006",
  noRealm: "1023007",
} as const;

export type KnownCode = (typeof Code)[keyof typeof Code];

interface CodeInfo {
  readonly httpStatus: number;
  readonly desc: string;
}

const table: Record<string, CodeInfo> = {
  [Code.success]: { httpStatus: 200, desc: "Success" },
  [Code.internalError]: { httpStatus: 500, desc: "Internal system error." },
  [Code.invalidRequest]: { httpStatus: 400, desc: "Invalid request." },
  [Code.invalidAppKey]: { httpStatus: 401, desc: "Invalid app_key." },
  [Code.appKeyUnavailable]: { httpStatus: 403, desc: "The status of the app_key is unavailable." },
  [Code.flowControl]: { httpStatus: 429, desc: "The flow control upper limit is reached on the platform." },
  [Code.apiNotAllowed]: { httpStatus: 403, desc: "The app_key is not allowed to invoke the API." },
  [Code.axNumberNotOfApp]: { httpStatus: 400, desc: "Account does not exist." },
  [Code.axNoIdleNumber]: { httpStatus: 400, desc: "Insufficient number resources." },
  [Code.axTooManyNumbers]: {
    httpStatus: 400,
    desc: "Exceeded the upper limit of resources that can be applied for.",
  },
  [Code.axNumberNotApplied]: {
    httpStatus: 400,
    desc: "The number is not applied for binding application.",
  },
  [Code.axNumberTaken]: { httpStatus: 400, desc: "Resources have been allocated." },
  [Code.axbNumberNotOfApp]: { httpStatus: 403, desc: "Resource of number is not to be applied." },
  [Code.axbRecordNotFound]: { httpStatus: 400, desc: "The record does not exist." },
  [Code.axbNoIdleNumber]: { httpStatus: 400, desc: "Insufficient number of resources." },
  [Code.axbNumberFull]: { httpStatus: 400, desc: "Maximum number of resources has been exceeded." },
  [Code.axbAlreadyBound]: { httpStatus: 400, desc: "The relation number has been bound." },
  [Code.recordingNotOpen]: { httpStatus: 400, desc: "Application does not open recording function." },
  [Code.blacklisted]: { httpStatus: 400, desc: "The number is contained in the blacklist." },
  [Code.recordNotFound]: { httpStatus: 400, desc: "The record does not exist." },
  [Code.appKeyInvalid]: { httpStatus: 401, desc: "The app_key is invalid." },
  [Code.noIdleExtension]: { httpStatus: 400, desc: "No idle extend Number." },
  [Code.invalidSessionId]: { httpStatus: 400, desc: "Invalid sessionId." },
  [Code.noAuthorization]: { httpStatus: 400, desc: "Authorization not contained in the HTTP header." },
  [Code.noRealm]: { httpStatus: 400, desc: "realm not contained in Authorization." },
};

/** HTTP status and description for a result code; unknown (user-configured) codes get HTTP 400. */
export function codeInfo(code: string): CodeInfo {
  return table[code] ?? { httpStatus: 400, desc: "The number status is abnormal." };
}
