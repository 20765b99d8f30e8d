export type { AuthOptions } from "./auth.js";
export { Code } from "./codes.js";
export type { FaultOptions } from "./faults.js";
export { type Simulator, type SimulatorBinding, type SimulatorOptions, startSimulator } from "./server.js";
export type {
  AppConfig,
  BindingAttributes,
  BindingRecord,
  Mode,
  NumberConfig,
  NumberStatus,
  StateEvent,
} from "./state.js";
export type { SimulatorStats } from "./stats.js";
