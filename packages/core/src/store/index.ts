export { MemoryStore, type MemoryStoreOptions } from "./memory.js";
export type * from "./types.js";
