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
