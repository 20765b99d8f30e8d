export { Allocator, mask } from "./allocator.js";
export type { AllocatorOptions } from "./options.js";
