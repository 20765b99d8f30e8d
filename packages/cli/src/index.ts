export { HELP, type RunResult, run } from "./commands.js";
export { type CliConfig, CliConfigSchema, loadConfig, UsageError } from "./config.js";
