export { Allocator, type CompleteStatus } from "./allocator.js";
export type { AllocatorOptions, Scheduler } from "./options.js";
export { mask, orderKeyFromUserData, userDataFor } from "./user-data.js";
