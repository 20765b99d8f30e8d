export { attachLogger, type Logger } from "./logging.js";
export { instrumentAllocator, type MetricsOptions } from "./metrics.js";
