export type { Scheduler } from "../runtime/tuning.js";
export { Allocator, type CompleteStatus } from "./allocator.js";
export type { AllocatorOptions } from "./options.js";
