export { type Scheduler, seededRandom } from "../runtime/tuning.js";
export { Allocator, type CompleteStatus } from "./allocator.js";
export { DEFAULT_HOLD_SECONDS, type HoldRequest } from "./mode-calls.js";
export type { AllocatorOptions } from "./options.js";
