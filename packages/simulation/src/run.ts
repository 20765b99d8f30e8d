import { scenarioFor } from "./scenario.js";
import { type RunResult, World } from "./world.js";

/** SIM_NO_LOSS=1 keeps the store's data in every seed (to tell data-loss failures from the others). */
const withDataLoss = process.env.SIM_NO_LOSS === undefined;

/** Runs one seed; `print` gets every trace line (a replay). */
export function runSeed(seed: number, options: { print?: (line: string) => void } = {}): Promise<RunResult> {
  return new World(scenarioFor(seed, withDataLoss), options).run();
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
