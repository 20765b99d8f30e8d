import { parseArgs } from "node:util";
import { Allocator, MemoryStore, type NumberConfig } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { startSimulator } from "@bindpool/simulator";
import { runScenario } from "./scenario.js";

const { values: args } = parseArgs({
  options: {
    orders: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "64" },
    numbers: { type: "string", default: "40" },
    capacity: { type: "string", default: "25" },
    "no-faults": { type: "boolean", default: false },
    store: { type: "string", default: "memory" },
    instances: { type: "string", default: "4" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`Ride-hailing demo: riders and drivers place and complete orders; every order gets a masked number.

  --orders N        orders to run (default 3000)
  --concurrency N   orders in progress at once (default 64)
  --numbers N       X numbers in the pool (default 40)
  --capacity N      pairs per X (default 25; the platform allows 5000)
  --no-faults       run without injected platform faults
  --store redis     run across several processes sharing one Redis (REDIS_URL, or a redis-server started here)
  --instances N     allocator processes with --store redis (default 4)`);
  process.exit(0);
}
const int = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const faults = !args["no-faults"];
const orders = int("orders", args.orders);
const concurrency = int("concurrency", args.concurrency);
const numberCount = int("numbers", args.numbers);
const capacity = int("capacity", args.capacity);

if (args.store !== "memory" && args.store !== "redis") {
  console.error(`--store must be memory or redis, got ${JSON.stringify(args.store)}`);
  process.exit(2);
}
if (args.store === "redis") {
  const { runClusterDemo } = await import("./cluster-demo.js");
  process.exit(
    await runClusterDemo({
      orders,
      instances: int("instances", args.instances),
      numbers: numberCount,
      capacity,
    }),
  );
}

const CITIES = [
  { city: "0755", province: "GD" },
  { city: "020", province: "GD" },
  { city: "010", province: "BJ" },
];
const numbers: NumberConfig[] = Array.from({ length: numberCount }, (_, i) => ({
  x: `+86170${String(i).padStart(8, "0")}`,
  ...CITIES[i % CITIES.length]!,
  capacity,
}));
const app = { appKey: "demo-app-key", appSecret: "demo-app-secret" };

// The platform: the simulator, in process, over real HTTP.
const sim = await startSimulator({
  apps: [
    { ...app, mode: "AXB", numbers: numbers.map((n) => ({ x: n.x, city: n.city, province: n.province })) },
  ],
  faults: faults
    ? { serverErrorRate: 0.01, flowControlRate: 0.01, timeoutRate: 0.002, hangMs: 3_000, seed: 7 }
    : {},
});
const driver = new HuaweiDriver({
  baseUrl: sim.url,
  ...app,
  timeoutMs: 2_000,
  requestsPerSecond: 5_000,
  concurrency: 64,
});
const store = new MemoryStore();
const allocator = new Allocator({
  store,
  driver,
  pools: [{ id: "rides", mode: "AXB", numbers }],
  unbindRetryMs: 100,
});

const retries: Record<string, number> = {};
const quarantined = new Set<string>();
allocator.on("retried", (e) => {
  retries[e.reason] = (retries[e.reason] ?? 0) + 1;
});
allocator.on("quarantined", (e) => quarantined.add(e.x));

// Halfway through, the platform turns one number abnormal behind our back.
const abnormalX = numbers[0]!.x;
let done = 0;
const started = performance.now();
const progress = setInterval(
  () => {
    const line = `  ${done}/${orders} orders completed (${((performance.now() - started) / 1000).toFixed(1)} s)`;
    // On a terminal, one line updated in place; in a log, a line a second.
    process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
  },
  process.stdout.isTTY ? 250 : 1_000,
);

console.log(
  `bindpool ride-hailing demo: ${orders} orders, ${concurrency} at once, ${numberCount} X numbers × ${capacity} pairs`,
);
console.log(
  `platform simulator at ${sim.url}${faults ? " with faults: 1% 5xx, 1% flow control, 0.2% timeouts" : ""}`,
);
const result = await runScenario(allocator, {
  pool: "rides",
  orders,
  concurrency,
  riders: 400,
  drivers: 300,
  cities: CITIES.map((c) => c.city),
  rideMs: [5, 40],
  onProgress: (n) => {
    done = n;
    if (n === Math.floor(orders / 2)) sim.setNumberStatus(app.appKey, abnormalX, "abnormal");
  },
});
clearInterval(progress);
// Unbinds the platform refused are queued in the store; the sweeper (normally `startJobs`) finishes them.
for (let i = 0; i < 30 && (await store.entries("rides")).length > 0; i++) {
  await allocator.sweep();
  await new Promise((r) => setTimeout(r, 200));
}
const elapsedS = (performance.now() - started) / 1000;
process.stdout.write("\n\n");

const leakedInStore = (await store.entries("rides")).length;
const leakedOnPlatform = sim.bindings(app.appKey).length;
const platform = sim.stats();
const latencies = [...result.latenciesMs].sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
const totalCapacity = numberCount * capacity;
const fmt = (r: Record<string, number>) =>
  Object.keys(r).length === 0
    ? "none"
    : Object.entries(r)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");

console.log("summary");
console.log(`  orders            ${orders} (${result.completed} completed, failed: ${fmt(result.failed)})`);
console.log(
  `  binds             ${result.latenciesMs.length} in ${elapsedS.toFixed(1)} s (${Math.round(result.latenciesMs.length / elapsedS)}/s)`,
);
console.log(`  platform calls    ${platform.requests} (${fmt(platform.byResultCode)} by result code)`);
console.log(`  retries by reason ${fmt(retries)}`);
console.log(`  quarantined X     ${quarantined.size}`);
console.log(
  `  pool utilisation  peak ${result.peakBound} pairs bound of ${totalCapacity} (${((100 * result.peakBound) / totalCapacity).toFixed(1)}%)`,
);
console.log(`  allocation p50    ${pct(50).toFixed(1)} ms`);
console.log(`  allocation p99    ${pct(99).toFixed(1)} ms`);
console.log(
  `  leaked numbers    ${leakedInStore + leakedOnPlatform} (store ${leakedInStore}, platform ${leakedOnPlatform})`,
);

await sim.close();
process.exit(leakedInStore + leakedOnPlatform === 0 ? 0 : 1);
