import { cpus, totalmem } from "node:os";
import { benchEndToEnd } from "./end-to-end.js";
import { benchMemoryStore } from "./memory-store.js";

/** `pnpm bench`: runs every benchmark and prints one markdown report (copy it into docs/benchmarks.md). */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const benches: [string, () => Promise<string>][] = [
    ["memory", benchMemoryStore],
    ["e2e", benchEndToEnd],
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
