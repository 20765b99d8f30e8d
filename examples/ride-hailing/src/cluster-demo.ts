import { startRedis } from "@bindpool/redis/testing";
import { runCluster } from "./cluster.js";

/** `--store redis`: the scenario across N processes on one Redis; prints the summary, returns the exit code. */
export async function runClusterDemo(o: {
  orders: number;
  instances: number;
  numbers: number;
  capacity: number;
}) {
  const redis = await startRedis();
  const platformRequestsPerSecond = 1_500;
  console.log(
    `bindpool ride-hailing demo: ${o.orders} orders across ${o.instances} processes on one Redis (${redis.url}), platform limit ${platformRequestsPerSecond} requests/s (shared limiter at 95%)`,
  );
  try {
    const r = await runCluster({
      redisUrl: redis.url,
      ...o,
      platformRequestsPerSecond,
      onProgress: (line) => console.log(line),
    });
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
    const fails =
      Object.entries(r.failed)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none";
    const leaked = r.leakedInStore + r.leakedOnPlatform;
    console.log("\nsummary");
    console.log(
      `  orders            ${o.orders} (${r.allocated} allocated, failed: ${fails}) in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `  open at the check ${r.openBindings} bindings; invariant violations: ${r.violations.length}`,
    );
    for (const v of r.violations.slice(0, 10)) console.log(`    ${v}`);
    console.log(
      `  platform rate     max ${r.maxPerSecond}/s of ${platformRequestsPerSecond}/s allowed; flow-control answers ${r.flowControlled}`,
    );
    console.log(`  allocation p50    ${pct(50).toFixed(1)} ms`);
    console.log(`  allocation p99    ${pct(99).toFixed(1)} ms`);
    console.log(`  leaked numbers    ${leaked} (store ${r.leakedInStore}, platform ${r.leakedOnPlatform})`);
    return leaked === 0 && r.violations.length === 0 ? 0 : 1;
  } finally {
    await redis.stop();
  }
}
