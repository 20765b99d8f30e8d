/**
 * What the delivery day records of every allocator call: its latency, its failure code, and (for the
 * history checker) its invoke and its ok or fail, next to the platform's own log from the simulator.
 */
import { type Binding, type BindpoolError, orderKeyFromUserData } from "@bindpool/core";
import { HistoryChecker, type SimulatorLog, type Violation, watchSimulatorLog } from "@bindpool/history";

/** The allocator calls the day makes; `hold` is an `allocate` of the holder to the history checker. */
export type LedgerOp = "allocate" | "hold" | "setCallee" | "complete";

const now = () => performance.timeOrigin + performance.now();

export class Ledger {
  readonly latenciesMs: Record<string, number[]> = {};
  readonly failed: Record<string, number> = {};
  readonly history: HistoryChecker;
  private stopWatching: () => void = () => {};

  /** `capacityPerX`: the most bindings one X may carry (AX: 1), for the checker's platform rules. */
  constructor(capacityPerX: number) {
    this.history = new HistoryChecker({ capacityPerX });
  }

  /** Records the simulator's binds, modifies, unbinds and expiries of `appKey` as they happen. */
  watch(sim: SimulatorLog, appKey: string): void {
    this.stopWatching = watchSimulatorLog(sim, this.history, {
      appKey,
      orderKeyOf: orderKeyFromUserData,
      now,
    });
  }

  /**
   * Runs one allocator call of `process` (a courier: one call in flight at a time) for `orderKey` (or a
   * holder), timing it and recording it; a failure is counted by `op:code` and rethrown.
   */
  async track<T>(
    op: LedgerOp,
    process: string,
    orderKey: string,
    a: string | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    // The checker knows allocate and complete; a hold is the holder's allocate, setCallee binds nothing.
    const checked = op === "hold" ? "allocate" : op === "setCallee" ? undefined : op;
    const base = { process, orderKey, timeMs: now() };
    if (checked === "allocate") this.history.client({ ...base, type: "invoke", op: checked, a: a! });
    else if (checked === "complete") this.history.client({ ...base, type: "invoke", op: checked });
    const started = performance.now();
    try {
      const result = await call();
      const latencies = this.latenciesMs[op] ?? [];
      latencies.push(performance.now() - started);
      this.latenciesMs[op] = latencies;
      if (checked !== undefined) {
        const binding = checked === "allocate" ? (result as Binding) : undefined;
        this.history.client({ process, orderKey, timeMs: now(), type: "ok", op: checked, binding });
      }
      return result;
    } catch (error) {
      const code = (error as BindpoolError).code ?? "UNEXPECTED";
      this.failed[`${op} ${code}`] = (this.failed[`${op} ${code}`] ?? 0) + 1;
      if (checked !== undefined) {
        this.history.client({ process, orderKey, timeMs: now(), type: "fail", op: checked, error: code });
      }
      throw error;
    }
  }

  /** The final check of the history, once the day is quiet; stops watching the platform. */
  finish(): readonly Violation[] {
    this.stopWatching();
    return this.history.finish(now());
  }
}
