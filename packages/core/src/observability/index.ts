export { attachLogger, type Logger } from "./logging.js";
export { instrumentAllocator, type MetricsOptions, NO_METER_PROVIDER_WARNING } from "./metrics.js";
