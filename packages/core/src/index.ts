export * from "./allocator/index.js";
export type * from "./driver/index.js";
export * from "./errors/index.js";
export * from "./events/index.js";
export * from "./lifecycle/index.js";
export type * from "./lock/index.js";
export * from "./model/index.js";
export * from "./rules/index.js";
export * from "./store/index.js";
