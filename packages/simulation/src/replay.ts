import { formatFailure, runSeed } from "./run.js";

// Runs one seed with its whole trace: `pnpm --filter @bindpool/simulation replay <seed>`.
const seed = Number(process.argv[2]);
if (!Number.isInteger(seed)) {
  console.error("usage: replay <seed>");
  process.exit(2);
}
const result = await runSeed(seed, { print: (line) => console.log(line) });
console.log(`\nscenario: ${JSON.stringify(result.scenario)}`);
console.log(`steps ${result.steps}, orders ${result.orders}, trace ${result.traceHash}`);
console.log(formatFailure(result).split("\n").slice(0, 2).join("\n"));
process.exitCode = result.violation === undefined ? 0 : 1;
