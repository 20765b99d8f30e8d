export { RATE_WINDOW_MARGIN_MS } from "@bindpool/core";
export {
  type AppCredentials,
  AUTHORIZATION_VALUE,
  type AuthScheme,
  akskDigest,
  authHeaders,
  formatCreated,
  newNonce,
  TOKEN_HEADER,
  wsseDigest,
} from "./auth.js";
export { AX_PATH } from "./ax.js";
export { AXB_PATH } from "./axb.js";
export { AXE_PATH, AXE_V2_PATH, type AxeOptions } from "./axe.js";
export { AXYB_DEFAULT_FIELDS, AXYB_PATH, type AxybFieldNames, type AxybOptions } from "./axyb.js";
export {
  CALL_STOP_PATH,
  type NoRecording,
  RECORDING_PATH,
  type RecordingRequest,
  type RecordingSettings,
  recordingOfCdr,
} from "./call-control.js";
export { classifyResultCode, RESULT_CODES, type ResultCodeInfo } from "./codes.js";
export { HuaweiDriver, type HuaweiDriverStats } from "./driver.js";
export type { HuaweiDriverOptions } from "./driver-options.js";
export { LOCAL_CODES } from "./http.js";
export * from "./notifications/index.js";
export {
  type PushAuthFailure,
  type PushAuthResult,
  type PushHeaders,
  type VerifyPushAuthOptions,
  verifyPushAuth,
} from "./push-auth.js";
export * from "./xmode/index.js";
