import { Allocator, MemoryStore } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { startSimulator } from "@bindpool/simulator";
import { formatRate, percentile, table } from "./report.js";

const ORDERS = 4_000;
const CONCURRENCY = 32;
const NUMBERS = 200;

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

async function timed(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - started;
  return { perSecond: (n * 1000) / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Allocator + HuaweiDriver + simulator over real HTTP: allocate + release per order, against the same
 * platform calls (bind + unbind) made straight through the driver: the ratio is the allocator's cost.
 */
export async function benchEndToEnd(): Promise<string> {
  const app = { appKey: "bench", appSecret: "bench-secret" };
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({ x: phone("170", i), city: "0755" }));
  const sim = await startSimulator({ apps: [{ ...app, mode: "AXB", numbers }] });
  try {
    const driver = new HuaweiDriver({
      baseUrl: sim.url,
      ...app,
      concurrency: CONCURRENCY,
      requestsPerSecond: Number.POSITIVE_INFINITY,
    });
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver,
      pools: [{ id: "p", mode: "AXB", numbers }],
    });
    await allocator.init();
    const pair = (i: number) => ({ a: phone("138", i % 5_000), b: phone("139", (i * 7) % 5_000) });

    const runRaw = (offset: number) =>
      timed(ORDERS, CONCURRENCY, async (i) => {
        const r = await driver.bind({
          mode: "AXB",
          x: numbers[i % NUMBERS]!.x,
          ...pair(offset + i),
          durationSeconds: 600,
        });
        if (r.kind !== "ok") throw new Error(`raw bind failed: ${r.kind} ${r.code}`);
        await driver.unbind({ mode: "AXB", subscriptionId: r.value.subscriptionId });
      });
    const runAllocator = (offset: number) =>
      timed(ORDERS, CONCURRENCY, async (i) => {
        const orderKey = `o${offset + i}`;
        await allocator.allocate({ pool: "p", orderKey, ...pair(offset + i), ttlSeconds: 600 });
        await allocator.release(orderKey);
      });

    await runRaw(0); // warm up both paths
    await runAllocator(0);
    const raw = await runRaw(ORDERS);
    const full = await runAllocator(ORDERS);
    const rawAgain = await runRaw(2 * ORDERS);
    const baseline = (raw.perSecond + rawAgain.perSecond) / 2;
    const row = (name: string, r: typeof raw) => [
      name,
      formatRate(r.perSecond),
      `${r.p50.toFixed(1)} ms`,
      `${r.p99.toFixed(1)} ms`,
      (r.perSecond / baseline).toFixed(2),
    ];
    return [
      "### End to end: Allocator + HuaweiDriver + simulator over HTTP",
      "",
      `${ORDERS.toLocaleString("en-US")} orders, ${CONCURRENCY} at once, ${NUMBERS} X numbers, memory store. Baseline: the same two platform calls per order made straight through the driver, run before and after; "vs baseline" divides by their mean.`,
      "",
      table(
        ["path", "orders/s", "p50", "p99", "vs baseline"],
        [
          row("driver bind + unbind (baseline run before)", raw),
          row("allocate + release", full),
          row("driver bind + unbind (baseline run after)", rawAgain),
        ],
      ),
    ].join("\n");
  } finally {
    await sim.close();
  }
}
