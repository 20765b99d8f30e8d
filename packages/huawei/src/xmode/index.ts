export {
  defaultXModeAnswer,
  type XModeAnswerBody,
  type XModeCallSettings,
  type XModeCloseReason,
  type XModeDecision,
} from "./answer.js";
export { XMODE_NO_RECORD, XModeDriver, type XModeDriverOptions } from "./driver.js";
export type { RouteIndexStats } from "./route-index.js";
export {
  createXModeRouter,
  type XModeRouter,
  type XModeRouterOptions,
  type XModeRouterStats,
} from "./router.js";
