import { MemoryStore, type StoredNumber } from "@bindpool/core";
import { formatRate, median, table } from "./report.js";

const SIZES = [100, 10_000, 100_000];
const LIVE_ORDERS = 2_000;
const OPS = 50_000;
const ROUNDS = 5;

function numbers(n: number): StoredNumber[] {
  return Array.from({ length: n }, (_, i) => ({
    x: `+86199${String(i).padStart(8, "0")}`,
    city: i % 2 ? "0755" : "010",
    capacity: 5000,
  }));
}

/** Steady state: LIVE_ORDERS orders live; each op reserves + confirms a new order and releases the oldest. */
async function cycle(store: MemoryStore, pool: string, ops: number, offset: number): Promise<number> {
  const users = 20_000;
  const live: { orderKey: string; token: number }[] = [];
  const started = performance.now();
  for (let i = 0; i < ops; i++) {
    const n = offset + i;
    const orderKey = `o${n}`;
    const a = `+86138${String(n % users).padStart(8, "0")}`;
    const b = `+86137${String((n * 7919) % users).padStart(8, "0")}`;
    const r = await store.reserve({
      pool,
      orderKey,
      a,
      b,
      exclude: [],
      strategy: { name: "leastLoaded" },
      leaseMs: 30_000,
      nowMs: 1_000,
    });
    if (!r.ok) throw new Error(`reserve failed: ${r.reason}`);
    await store.confirm({
      pool,
      orderKey,
      token: r.entry.token,
      subscriptionId: `s${n}`,
      untilMs: 9e12,
      nowMs: 1_001,
    });
    live.push({ orderKey, token: r.entry.token });
    if (live.length > LIVE_ORDERS) {
      const old = live.shift()!;
      await store.release(pool, old.orderKey, old.token);
    }
  }
  const elapsed = performance.now() - started;
  for (const o of live) await store.release(pool, o.orderKey, o.token);
  return elapsed / ops;
}

/** MemoryStore reserve+confirm+release per second by pool size; cost must not grow with the pool. */
export async function benchMemoryStore(): Promise<string> {
  const store = new MemoryStore();
  for (const size of SIZES) {
    const { generation } = await store.upsertPool(`p${size}`, "AXB", numbers(size));
    await store.finishRecovery(`p${size}`, generation); // a new pool is recovering; nothing to rebuild here
  }
  for (const size of SIZES) await cycle(store, `p${size}`, 10_000, 0); // warm up
  const perOp = new Map<number, number[]>(SIZES.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of SIZES) perOp.get(size)!.push(await cycle(store, `p${size}`, OPS, (round + 1) * OPS));
  }
  const med = SIZES.map((s) => median(perOp.get(s)!));
  const smallest = med[0]!;
  const rows = SIZES.map((size, i) => [
    size.toLocaleString("en-US"),
    formatRate(1_000 / med[i]!),
    `${(med[i]! * 1_000).toFixed(2)} µs`,
    (med[i]! / smallest).toFixed(2),
  ]);
  const ratio = med[med.length - 1]! / smallest;
  return [
    `### MemoryStore: reserve + confirm + release (one order's store lifecycle)`,
    "",
    `${LIVE_ORDERS.toLocaleString("en-US")} live orders, 20 000 users, AXB, leastLoaded; median of ${ROUNDS} rounds of ${OPS.toLocaleString("en-US")} orders.`,
    "",
    table(["pool size", "orders/s", "time per order", "vs 100"], rows),
    "",
    `Largest/smallest pool time per order: **${ratio.toFixed(2)}** (target ≤ 1.25): ${ratio <= 1.25 ? "met" : "NOT met"}.`,
  ].join("\n");
}
