/**
 * Pairs placed before the first `BINDPOOL_POOL_EXHAUSTED`, against the offline optimum of the same order
 * sequence. One process: Allocator + MemoryStore + an in-process AXB platform (below), no network.
 * Run alone: `node --conditions=@bindpool/source --import tsx bench/placement-optimum.ts`.
 *
 * The sequence: orders that stay open (no order ends), couriers (B) chosen with a skew so a few carry
 * most orders, customers (A) with 1-3 orders each. Every X has room to spare (`capacity` 5 000), so only
 * the rule "a number once per X" makes a pair fail: it fails exactly when its two users together hold
 * every X. The offline optimum of such a sequence is known exactly: the pairs form a bipartite multigraph
 * (customers, couriers), a placement is a proper edge colouring with the X as colours, and by König's
 * edge-colouring theorem the first `n` pairs can all be placed iff no user is in more than N of them
 * (N = number of X) and, with capacity C, n ≤ N × C. So the optimum places every pair before the first one
 * whose courier or customer already holds N orders.
 *
 * `BENCH_OPT_NUMBERS` (20) X, `BENCH_OPT_RUNS` (20) sequences, `BENCH_OPT_COURIERS` (30) couriers.
 */
import { pathToFileURL } from "node:url";
import {
  Allocator,
  type BindRequest,
  MemoryStore,
  type Outcome,
  type PlatformBinding,
  type PlatformDriver,
  type QueryRequest,
  type QueryResult,
  seededRandom,
} from "@bindpool/core";
import { table } from "./report.js";

const NUMBERS = Number(process.env.BENCH_OPT_NUMBERS ?? 20);
const RUNS = Number(process.env.BENCH_OPT_RUNS ?? 20);
const COURIERS = Number(process.env.BENCH_OPT_COURIERS ?? 30);
const CAPACITY = 5_000;
/** Courier weights 1 / i^skew: Zipf-like, milder, uniform. */
const SKEWS = [1, 0.5, 0] as const;

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

/** The AXB platform's rules in memory: a number once per X, at most `capacity` pairs per X. */
class InProcessAxb implements PlatformDriver {
  binds = 0;
  private seq = 0;
  private readonly subs = new Map<string, PlatformBinding>();
  private readonly users = new Map<string, Set<string>>(); // x -> numbers bound on it

  constructor(private readonly capacity: number) {}

  async bind(req: BindRequest): Promise<Outcome<{ subscriptionId: string; x: string }>> {
    this.binds++;
    const users = this.users.get(req.x) ?? new Set<string>();
    this.users.set(req.x, users);
    if (users.has(req.a) || (req.b !== undefined && users.has(req.b))) {
      return { kind: "conflict", code: "1012010", message: "a number is already bound on X" };
    }
    if (users.size / 2 >= this.capacity) return { kind: "exhausted", code: "1012008", message: "X is full" };
    const subscriptionId = `s${++this.seq}`;
    users.add(req.a);
    if (req.b !== undefined) users.add(req.b);
    this.subs.set(subscriptionId, { subscriptionId, x: req.x, a: req.a, b: req.b, userData: req.userData });
    return { kind: "ok", value: { subscriptionId, x: req.x } };
  }

  async unbind(req: { subscriptionId: string }): Promise<Outcome<void>> {
    const binding = this.subs.get(req.subscriptionId);
    if (!binding) return { kind: "notFound", code: "1012007", message: "no such binding" };
    this.subs.delete(req.subscriptionId);
    const users = this.users.get(binding.x);
    users?.delete(binding.a);
    if (binding.b !== undefined) users?.delete(binding.b);
    return { kind: "ok", value: undefined };
  }

  async modify(): Promise<Outcome<void>> {
    return { kind: "invalidParam", code: "1010002", message: "not modelled" };
  }

  async query(req: QueryRequest): Promise<Outcome<QueryResult>> {
    const bindings = [...this.subs.values()].filter((b) =>
      "subscriptionId" in req
        ? b.subscriptionId === req.subscriptionId
        : b.x === req.x && (req.a === undefined || b.a === req.a) && (req.b === undefined || b.b === req.b),
    );
    return { kind: "ok", value: { bindings, total: bindings.length } };
  }
}

/** A sequence of (customer, courier) pairs long enough to pass its optimum, and that optimum. */
function sequence(seed: number, skew: number): { pairs: { a: string; b: string }[]; optimum: number } {
  const random = seededRandom(seed);
  // Courier i is chosen with weight 1 / (i + 1)^skew: with skew 1 a few carry most orders; 0 is uniform.
  const weights = Array.from({ length: COURIERS }, (_, i) => 1 / (i + 1) ** skew);
  const total = weights.reduce((s, w) => s + w, 0);
  const courier = () => {
    let r = random() * total;
    for (let i = 0; i < COURIERS; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return COURIERS - 1;
  };
  const orders = new Map<string, number>();
  const room: { phone: string; left: number }[] = []; // customers who may order again
  let customers = 0;
  const pairs: { a: string; b: string }[] = [];
  let optimum: number | undefined;
  while (optimum === undefined || pairs.length < optimum + 10) {
    let a: string;
    if (room.length > 0 && random() < 0.5) {
      const i = Math.floor(random() * room.length);
      const c = room[i]!;
      a = c.phone;
      if (--c.left === 0) room.splice(i, 1);
    } else {
      a = phone("138", customers++);
      const more = Math.floor(random() * 3); // 1-3 orders in all
      if (more > 0) room.push({ phone: a, left: more });
    }
    const b = phone("139", courier());
    if (optimum === undefined) {
      const full = (u: string) => (orders.get(u) ?? 0) >= NUMBERS;
      if (full(a) || full(b) || pairs.length >= NUMBERS * CAPACITY) optimum = pairs.length;
    }
    orders.set(a, (orders.get(a) ?? 0) + 1);
    orders.set(b, (orders.get(b) ?? 0) + 1);
    pairs.push({ a, b });
  }
  return { pairs, optimum };
}

/** Pairs the allocator places before its first `BINDPOOL_POOL_EXHAUSTED`, and the bind calls it made. */
async function placeUntilExhausted(
  pairs: readonly { a: string; b: string }[],
  strategy: "leastLoaded" | "pack",
): Promise<{ placed: number; binds: number }> {
  const driver = new InProcessAxb(CAPACITY);
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({ x: phone("170", i), capacity: CAPACITY }));
  const allocator = new Allocator({
    store: new MemoryStore(),
    driver,
    pools: [{ id: "p", mode: "AXB", numbers }],
    strategy: { name: strategy },
  });
  await allocator.init();
  for (const [i, pair] of pairs.entries()) {
    try {
      await allocator.allocate({ pool: "p", orderKey: `o${i}`, ...pair, ttlSeconds: 3_600 });
    } catch (error) {
      if ((error as { code?: string }).code === "BINDPOOL_POOL_EXHAUSTED")
        return { placed: i, binds: driver.binds };
      throw error;
    }
  }
  return { placed: pairs.length, binds: driver.binds };
}

export async function benchPlacementOptimum(): Promise<string> {
  const rows: string[][] = [];
  for (const [skew, strategy] of SKEWS.flatMap((k) =>
    (["leastLoaded", "pack"] as const).map((s) => [k, s] as const),
  )) {
    const ratios: number[] = [];
    let placedSum = 0;
    let optimumSum = 0;
    let binds = 0;
    for (let run = 0; run < RUNS; run++) {
      const { pairs, optimum } = sequence(7_000 + run, skew);
      const r = await placeUntilExhausted(pairs, strategy);
      ratios.push(r.placed / optimum);
      placedSum += r.placed;
      optimumSum += optimum;
      binds += r.binds;
    }
    rows.push([
      `\`${strategy}\``,
      skew === 0 ? "uniform" : `1/i^${skew}`,
      (placedSum / RUNS).toFixed(1),
      (optimumSum / RUNS).toFixed(1),
      `${((placedSum / optimumSum) * 100).toFixed(2)}%`,
      `${(Math.min(...ratios) * 100).toFixed(2)}%`,
      (binds / placedSum).toFixed(3),
    ]);
  }
  return [
    "### Pairs placed before the first `BINDPOOL_POOL_EXHAUSTED`, against the offline optimum",
    "",
    `${RUNS} order sequences on ${NUMBERS} X with room to spare (${CAPACITY} pairs each); no order ends; ${COURIERS} couriers (B), the i-th chosen with weight 1/i^s; customers (A) with 1-3 orders. Optimum: every pair before the first whose courier or customer already holds ${NUMBERS} orders (König: exact for this bipartite case). MemoryStore and an in-process platform, one process.`,
    "",
    table(
      [
        "strategy",
        "courier weights",
        "placed (mean)",
        "optimum (mean)",
        "placed / optimum",
        "worst sequence",
        "bind calls / placement",
      ],
      rows,
    ),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchPlacementOptimum());
}
