import { MemoryStore } from "@bindpool/core";
import { scenarioFor } from "./scenario.js";
import { type RunResult, World } from "./world.js";

/** Whether this core's MemoryStore can lose its data on purpose (a test hook that lands separately). */
export const canLoseData = typeof (MemoryStore.prototype as { loseData?: unknown }).loseData === "function";

/** Runs one seed; `print` gets every trace line (a replay). */
export function runSeed(seed: number, options: { print?: (line: string) => void } = {}): Promise<RunResult> {
  return new World(scenarioFor(seed, canLoseData), options).run();
}

/** The report of a failed run: its seed, the step, the violation and the last events. */
export function formatFailure(r: RunResult): string {
  const v = r.violation;
  if (v === undefined) return `seed ${r.seed}: ok`;
  return [
    `seed ${r.seed} (${r.scenario.shape}): ${v.kind} at step ${v.step} (t=${(v.atMs / 1000).toFixed(3)}s): ${v.message}`,
    `  replay: pnpm --filter @bindpool/simulation replay ${r.seed}`,
    ...r.tail.map((l) => `    ${l}`),
  ].join("\n");
}
