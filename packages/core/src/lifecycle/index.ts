export { JOB_ELECTIONS, type Jobs, type JobsOptions, type JobTarget, startJobs } from "./jobs.js";
export type { ReconcileOptions, ReconcileReport } from "./reconciler.js";
export type { SweepReport } from "./sweeper.js";
