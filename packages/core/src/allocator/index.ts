export { Allocator, type CompleteStatus } from "./allocator.js";
export type { AllocatorOptions } from "./options.js";
export { mask, orderKeyFromUserData, userDataFor } from "./user-data.js";
