/**
 * The allocator's own CPU per order: allocate + complete through the Allocator with a MemoryStore and a
 * zero-latency in-process platform, against the same store calls (reserve, confirm, release) and the same
 * platform calls (bind, unbind) made straight, in the same process. The difference of the two process CPU
 * times per order is what the allocator itself adds (validation, the order serialiser, events, retries
 * bookkeeping). Five alternating runs; the median and the spread are reported.
 * Run alone: `node --conditions=@bindpool/source --import tsx bench/overhead.ts`.
 */
import { pathToFileURL } from "node:url";
import {
  Allocator,
  type BindRequest,
  MemoryStore,
  type Outcome,
  type PlatformDriver,
  type QueryResult,
} from "@bindpool/core";
import { median, table } from "./report.js";

const ORDERS = 20_000;
const RUNS = 5;
const CONCURRENCY = 32;
const NUMBERS = 200;

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

/** A platform that binds and unbinds at once, keeping nothing (no latency, no I/O). */
class InstantPlatform implements PlatformDriver {
  private next = 0;
  async bind(req: BindRequest): Promise<Outcome<{ subscriptionId: string; x: string }>> {
    return { kind: "ok", value: { subscriptionId: `s${this.next++}`, x: req.x } };
  }
  async unbind(): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }
  async modify(): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }
  async query(): Promise<Outcome<QueryResult>> {
    return { kind: "ok", value: { bindings: [], total: 0 } };
  }
}

const numbers = Array.from({ length: NUMBERS }, (_, i) => ({ x: phone("170", i), capacity: 5_000 }));
const pair = (i: number) => ({ a: phone("138", i), b: phone("139", i) });

/** Process CPU µs per order of `op` over ORDERS orders from CONCURRENCY workers. */
async function cpuPerOrder(op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ORDERS) await op(next++);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ORDERS;
}

async function viaAllocator(run: number): Promise<number> {
  const allocator = new Allocator({
    store: new MemoryStore(),
    driver: new InstantPlatform(),
    pools: [{ id: "p", mode: "AXB", numbers }],
  });
  await allocator.init();
  return cpuPerOrder(async (i) => {
    const orderKey = `r${run}-${i}`;
    await allocator.allocate({ pool: "p", orderKey, ...pair(i), ttlSeconds: 600 });
    await allocator.complete(orderKey, "p");
  });
}

async function straight(run: number): Promise<number> {
  const store = new MemoryStore();
  const platform = new InstantPlatform();
  const { generation } = await store.upsertPool("p", "AXB", numbers);
  await store.finishRecovery("p", generation);
  return cpuPerOrder(async (i) => {
    const orderKey = `r${run}-${i}`;
    const { a, b } = pair(i);
    const r = await store.reserve({
      pool: "p",
      orderKey,
      a,
      b,
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 30_000,
      nowMs: Date.now(),
    });
    if (!r.ok) throw new Error(r.reason);
    const bound = await platform.bind({ mode: "AXB", x: r.entry.x, a, b, durationSeconds: 660 });
    if (bound.kind !== "ok") throw new Error(bound.kind);
    const subscriptionId = bound.value.subscriptionId;
    await store.confirm({
      pool: "p",
      orderKey,
      token: r.entry.token,
      subscriptionId,
      untilMs: Date.now() + 660_000,
      nowMs: Date.now(),
    });
    await platform.unbind();
    await store.release("p", orderKey, r.entry.token);
  });
}

export async function benchOverhead(): Promise<string> {
  await viaAllocator(-1); // warm both paths up (JIT) before measuring
  await straight(-1);
  const rows: string[][] = [];
  const added: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const base = await straight(run);
    const full = await viaAllocator(run);
    added.push(full - base);
    rows.push([String(run + 1), base.toFixed(1), full.toFixed(1), (full - base).toFixed(1)]);
  }
  return [
    "### Allocator overhead (`pnpm bench overhead`)",
    "",
    `allocate + complete per order (${ORDERS.toLocaleString("en-US")} orders, ${CONCURRENCY} at a time, MemoryStore, a zero-latency in-process platform), against the same store and platform calls made straight; process CPU µs per order.`,
    "",
    table(["run", "store + platform calls straight", "through the Allocator", "the allocator's own"], rows),
    "",
    `The allocator's own CPU per order: median ${median(added).toFixed(1)} µs (runs: ${added.map((v) => v.toFixed(1)).join(", ")}).`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchOverhead());
}
