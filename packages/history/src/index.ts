export { type CheckerCounts, HistoryChecker, type HistoryCheckerOptions } from "./checker.js";
export type {
  BindingView,
  ClientEvent,
  ClientFail,
  ClientInvoke,
  ClientOk,
  ClientOp,
  PlatformEvent,
  ProcessId,
  Violation,
  ViolationRule,
} from "./events.js";
export {
  platformEventOf,
  type SimulatorLog,
  type SimulatorLogBinding,
  type SimulatorLogEvent,
  type SimulatorLogOptions,
  watchSimulatorLog,
} from "./simulator-log.js";
