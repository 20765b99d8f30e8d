export { type GenerationExpectation, GenerationGuard, newGeneration } from "./generation.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory.js";
export type * from "./types.js";
