import type { JobLeader } from "../lock/index.js";

export interface JobsOptions {
  /** Elects one instance to run the jobs (e.g. `RedisLock`). @default this process runs them */
  readonly leader?: JobLeader;
  /** Time between sweeps, ms. @default 5_000 */
  readonly sweepIntervalMs?: number;
  /** Time between reconciles, ms; 0 turns the reconciler off. @default 600_000 */
  readonly reconcileIntervalMs?: number;
  /** Called with every job error (a failed run is retried at the next tick). */
  readonly onError?: (error: unknown) => void;
}

/** The election each job runs under (`JobLeader.elect`); a tool that runs a job by hand takes the same one. */
export const JOB_ELECTIONS = { sweeper: "bindpool:sweeper", reconciler: "bindpool:reconciler" } as const;

export interface Jobs {
  /** Stops the timers and waits for a running job to finish. */
  stop(): Promise<void>;
}

/** What the jobs run: an `Allocator`. */
export interface JobTarget {
  sweep(options: { signal?: AbortSignal }): Promise<unknown>;
  reconcile(options: { signal?: AbortSignal }): Promise<unknown>;
}

/** Runs the sweeper (and the reconciler) of an allocator periodically, on one elected instance at a time. */
export function startJobs(allocator: JobTarget, options: JobsOptions = {}): Jobs {
  const sweepMs = options.sweepIntervalMs ?? 5_000;
  const reconcileMs = options.reconcileIntervalMs ?? 600_000;
  let running: Promise<unknown> = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];
  const schedule = (election: string, everyMs: number, job: (signal?: AbortSignal) => Promise<unknown>) => {
    if (everyMs <= 0) return;
    const tick = () => {
      running = running
        .then(() => (options.leader ? options.leader.elect(election, Math.max(1_000, everyMs), job) : job()))
        .catch((error: unknown) => options.onError?.(error));
    };
    const timer = setInterval(tick, everyMs);
    timer.unref();
    timers.push(timer);
  };
  // A lost election (the lease could not be extended) stops the job at its next step.
  schedule(JOB_ELECTIONS.sweeper, sweepMs, (signal) => allocator.sweep({ signal }));
  schedule(JOB_ELECTIONS.reconciler, reconcileMs, (signal) => allocator.reconcile({ signal }));
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await running;
    },
  };
}
