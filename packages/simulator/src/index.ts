export type { AuthOptions } from "./auth.js";
export {
  type AxeSettings,
  DEFAULT_AXE_CAPACITY,
  DEFAULT_EXTENSION_DIGITS,
  FIRST_CURSOR,
} from "./axe-state.js";
export { CALL_STOP_STATE, type LiveCall, type RecordingOptions } from "./call-control.js";
export {
  NO_CALLBACK_STATE_CODE,
  NO_TEMP_CALLEE_STATE_CODE,
  type SimulatedCall,
  type SimulatedCallInput,
} from "./calls.js";
export { Code } from "./codes.js";
export type { FaultOptions } from "./faults.js";
export { DEFAULT_RETRY_SCHEDULE_MS, type PushOptions, type PushStats } from "./push.js";
export { type Simulator, type SimulatorBinding, type SimulatorOptions, startSimulator } from "./server.js";
export type {
  AppConfig,
  BindingAttributes,
  BindingRecord,
  Mode,
  NumberConfig,
  StateEvent,
} from "./state.js";
export { NUMBER_STATUS_CODE, type NumberStatus } from "./state.js";
export type { SimulatorStats } from "./stats.js";
export {
  parseXModeAnswer,
  X_CLOSED_STATE_CODE,
  X_MAX_DURATION_STATE_CODE,
  X_NO_ANSWER_STATE_CODE,
  type XCall,
  type XCallInput,
  type XCallOutcome,
  type XModeAnswer,
  type XModeOptions,
} from "./x-mode.js";
