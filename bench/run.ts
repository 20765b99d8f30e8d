import { cpus, totalmem } from "node:os";
import { benchEndToEnd } from "./end-to-end.js";
import { benchMemoryStore } from "./memory-store.js";
import { benchMillion } from "./million.js";
import { benchOverhead } from "./overhead.js";
import { benchPlatformCalls } from "./platform-calls.js";
import { benchRedisCpu } from "./redis-cpu.js";
import { benchRedisStore } from "./redis-store.js";

/**
 * `pnpm bench`: runs every benchmark and prints one markdown report (copy it into docs/benchmarks.md).
 * `pnpm bench memory e2e redis` runs some of them.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const benches: [string, () => Promise<string>][] = [
    ["memory", benchMemoryStore],
    ["e2e", benchEndToEnd],
    ["redis", benchRedisStore],
    ["cpu", benchRedisCpu],
    ["million", benchMillion],
    ["overhead", benchOverhead],
    ["calls", benchPlatformCalls],
  ];
  const sections: string[] = [
    "## bindpool benchmarks",
    "",
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Command: \`pnpm bench\`.`,
  ];
  for (const [name, run] of benches) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`running ${name}...\n`);
    sections.push("", await run());
  }
  console.log(sections.join("\n"));
}

await main();
