import { parseArgs } from "node:util";
import { type DeliveryMode, deliveryDay } from "./day.js";

const { values: args } = parseArgs({
  options: {
    mode: { type: "string", default: process.env.DELIVERY_MODE ?? "axe" },
    couriers: { type: "string", default: "20" },
    customers: { type: "string", default: "600" },
    batch: { type: "string", default: "12" },
    numbers: { type: "string" },
    capacity: { type: "string", default: "60" },
    "extension-digits": { type: "string", default: "2" },
    "no-faults": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`Delivery demo: couriers carry 10+ orders at once and call customers through masked numbers.

  --mode axe|ax         axe: each order puts the customer behind X + an extension; the courier dials
                        X ext. E, the customer calls X back. ax: each courier holds an X for the shift
                        and the app sets the customer as the X's temporary callee before each call.
                        (default axe, or DELIVERY_MODE)
  --couriers N          couriers on the road at once (default 20)
  --customers N         customers, each placing 1-3 orders (default 600)
  --batch N             orders a courier loads per run, about (default 12)
  --numbers N           X numbers in the pool (default: AXE enough for the peak, AX couriers + 2)
  --capacity N          AXE: customers behind one X (default 60; the platform recommends 200)
  --extension-digits N  AXE: extension length, 1-4 (default 2)
  --no-faults           run without injected platform faults
  REDIS_URL             when set, the store is a RedisStore there (keys under a prefix of the run's own)`);
  process.exit(0);
}
const int = (name: string, v: string | undefined, min = 1) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer from ${min}, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const mode = args.mode?.toUpperCase();
if (mode !== "AXE" && mode !== "AX") {
  console.error(`--mode must be axe or ax, got ${JSON.stringify(args.mode)}`);
  process.exit(2);
}
const batch = int("batch", args.batch, 10);
const faults = !args["no-faults"];
const redisUrl = process.env.REDIS_URL || undefined;
const couriers = int("couriers", args.couriers);
const customers = int("customers", args.customers);

console.log(
  `bindpool delivery demo (${mode}): ${couriers} couriers carrying ~${batch} orders each, ${customers} customers with 1-3 orders`,
);
console.log(
  `store: ${redisUrl ? `Redis at ${redisUrl}` : "memory"}; platform simulator${faults ? " with faults: 1% 5xx, 1% flow control, 0.2% timeouts" : ""}`,
);
let done = 0;
let total = 0;
const started = performance.now();
const progress = setInterval(
  () => {
    const line = `  ${done}/${total} orders done (${((performance.now() - started) / 1000).toFixed(1)} s)`;
    process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
  },
  process.stdout.isTTY ? 250 : 1_000,
);
const r = await deliveryDay({
  mode: mode as DeliveryMode,
  couriers,
  customers,
  batch: [batch, batch + 3],
  runsPerShift: 2,
  handoverShare: 0.08,
  callShare: 0.3,
  stopMs: [2, 30],
  numbers: args.numbers === undefined ? undefined : int("numbers", args.numbers),
  capacity: int("capacity", args.capacity),
  extensionDigits: int("extension-digits", args["extension-digits"]),
  faults,
  redisUrl,
  onProgress: (n, of) => {
    done = n;
    total = of;
  },
});
clearInterval(progress);
process.stdout.write("\n\n");

const fmt = (rec: Readonly<Record<string, number>>) =>
  Object.keys(rec).length === 0
    ? "none"
    : Object.entries(rec)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
const pct = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const d = r.day;
const elapsedS = r.elapsedMs / 1000;
const leaked = r.leakedInStore + r.leakedOnPlatform;
const allocations = (r.latenciesMs.allocate?.length ?? 0) + (r.latenciesMs.hold?.length ?? 0);
console.log("summary");
console.log(
  `  orders            ${d.orders} (${d.delivered} delivered, ${d.handedOver} changed courier; ${d.customersWithSeveral} customers had several out at once)`,
);
console.log(
  `  couriers          ${couriers} on the road, ${d.shifts} shifts, up to ${d.peakCarried} orders carried at once`,
);
console.log(
  `  pool              ${r.numbers} X${mode === "AXE" ? ` × ${r.capacity} customers` : ""}; ${r.peakBindings} bindings at the peak`,
);
console.log(
  `  allocations       ${allocations} (${mode === "AXE" ? "one per order" : "one hold per shift"}) in ${elapsedS.toFixed(1)} s; failed: ${fmt(r.failed)}`,
);
console.log(`  platform calls    ${r.platformRequests} (${fmt(r.byResultCode)} by result code)`);
console.log(`  retries by reason ${fmt(r.retries)}`);
for (const op of ["allocate", "hold", "setCallee", "complete"]) {
  const values = r.latenciesMs[op];
  if (values === undefined) continue;
  console.log(
    `  ${`${op} p50/p99`.padEnd(18)}${pct(values, 50).toFixed(1)} / ${pct(values, 99).toFixed(1)} ms`,
  );
}
console.log(
  `  calls checked     ${d.callsChecked} courier calls and call-backs; misrouted ${d.misrouted.length}`,
);
for (const m of d.misrouted.slice(0, 10)) console.log(`    ${m}`);
console.log(
  `  violations        ${r.peakViolations.length} at the peak (store, platform), ${r.historyViolations.length} in the history`,
);
for (const v of r.peakViolations.slice(0, 10)) console.log(`    ${v}`);
for (const v of r.historyViolations.slice(0, 10)) console.log(`    ${v.rule}: ${v.message}`);
console.log(`  leaked numbers    ${leaked} (store ${r.leakedInStore}, platform ${r.leakedOnPlatform})`);

const clean =
  leaked === 0 &&
  d.misrouted.length === 0 &&
  r.peakViolations.length === 0 &&
  r.historyViolations.length === 0;
process.exit(clean ? 0 : 1);
