/**
 * Platform bind calls per allocation on a nearly full pool, bindpool against what users do without it.
 * `pnpm bench calls`, or alone: `node --conditions=@bindpool/source --import tsx bench/platform-calls.ts`.
 *
 * `BENCH_PROCESSES` child processes (default 16) allocate from one AXB pool on one simulator over HTTP, in
 * turn as four clients, each on a fresh simulator and pool state:
 * - bindpool, strategy `leastLoaded` and `pack`: Allocator + HuaweiDriver, RedisStore + RedisLock +
 *   RedisRateLimiter shared on one Redis the harness starts;
 * - random X: no store, a random X of the app's list per order through the Huawei driver, another one on
 *   each rejection, up to `BENCH_TRIES` (5) X per order, as the public examples do;
 * - areaCode: no store, the platform picks (a bind naming the city and no X, §13), one signed request.
 * Each client first fills the pool to `BENCH_FILL` (95%) of what it can hold with its own placements
 * (through the client itself, so each is measured on the layout it makes), then every process completes
 * one of its open orders and places a new one per step, `BENCH_ORDERS` (2 000) placements in all, so the
 * pool stays at the fill level. Delivery-like users: couriers (B) with 5-15 open orders at most,
 * customers (A) with 1-3, chosen again and again, so the rule "a number once per X" bites.
 *
 * Counted at the simulator: every bind request while measured (successful or not) over the successful
 * placements. A refused order is checked on the simulator's bindings: did an X with room exist on which neither user was bound, at the time the client gave up
 * (rebuilt from the simulator's binding events, timed by the same clock)?
 */
import { fork } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PoolConfig } from "@bindpool/core";
import { AXB_PATH } from "@bindpool/huawei";
import { type SimulatorBinding, startSimulator } from "@bindpool/simulator";
import { startRedis } from "../packages/redis/test/harness.js";
import { benchPlacementOptimum } from "./placement-optimum.js";
import type { ClientKind, FromWorker, ToWorker, User, WorkerConfig } from "./platform-calls-worker.js";
import { percentile, table } from "./report.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PROCESSES = env("BENCH_PROCESSES", 16);
const NUMBERS = env("BENCH_NUMBERS", 30);
const CAPACITY = env("BENCH_CAPACITY", 40);
const FILL = env("BENCH_FILL", 0.95);
const ORDERS = env("BENCH_ORDERS", 2_000);
const CONCURRENCY = env("BENCH_CONCURRENCY", 4);
const TRIES = env("BENCH_TRIES", 5);
const CITY = "0755";
const KINDS: readonly ClientKind[] = ["leastLoaded", "pack", "random", "areaCode"];
const LABEL: Record<ClientKind, string> = {
  leastLoaded: "bindpool, `leastLoaded`",
  pack: "bindpool, `pack`",
  random: `random X, retry on rejection (≤ ${TRIES} X)`,
  areaCode: "platform's pick by `areaCode`",
};

const phone = (prefix: string, i: number) => `+86${prefix}${String(i).padStart(8, "0")}`;

interface KindResult {
  readonly kind: ClientKind;
  readonly fillShare: number;
  readonly allocated: number;
  readonly refused: number;
  readonly refusedWithRoom: number;
  /** Refusals by code, and of those how many while a valid X existed. */
  readonly refusals: Record<string, { all: number; withRoom: number }>;
  readonly bindCalls: number;
  readonly otherCalls: number;
  readonly latenciesMs: number[];
  readonly errors: Record<string, number>;
  readonly seconds: number;
}

interface Change {
  readonly atMs: number;
  readonly bound: boolean;
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b?: string | undefined;
}

/** The platform's bindings at `atMs`: those at the start with every change up to then applied. */
function bindingsAt(
  atStart: readonly SimulatorBinding[],
  changes: readonly Change[],
  atMs: number,
): { x: string; a: string; b?: string | undefined }[] {
  const live = new Map<string, { x: string; a: string; b?: string | undefined }>(
    atStart.map((b) => [b.subscriptionId, b]),
  );
  for (const c of changes) {
    if (c.atMs > atMs) break;
    if (c.bound) live.set(c.subscriptionId, c);
    else live.delete(c.subscriptionId);
  }
  return [...live.values()];
}

/** Whether some X has room and holds neither a nor b, by the platform's own bindings. */
function validXExisted(
  bindings: readonly { x: string; a: string; b?: string | undefined }[],
  xs: readonly string[],
  a: string,
  b: string,
) {
  const load = new Map<string, number>();
  const blocked = new Set<string>();
  for (const binding of bindings) {
    load.set(binding.x, (load.get(binding.x) ?? 0) + 1);
    if (binding.a === a || binding.b === a || binding.a === b || binding.b === b) blocked.add(binding.x);
  }
  return xs.some((x) => !blocked.has(x) && (load.get(x) ?? 0) < CAPACITY);
}

/** The users of process `index`: the same for every client kind. */
function usersOf(index: number, fill: number): { couriers: User[]; customers: User[] } {
  // Room for a third more orders than the process keeps open, so a step always finds a pair with room.
  const couriers = Math.ceil((fill * 1.35) / 10);
  const customers = Math.ceil((fill * 1.35) / 2);
  const target = (i: number, low: number, high: number) => low + ((i * 2_654_435_761) % (high - low + 1));
  return {
    couriers: Array.from({ length: couriers }, (_, i) => {
      const n = index * couriers + i;
      return { phone: phone("139", n), target: target(n, 5, 15) };
    }),
    customers: Array.from({ length: customers }, (_, i) => {
      const n = index * customers + i;
      return { phone: phone("138", n), target: target(n, 1, 3) };
    }),
  };
}

type Child = ReturnType<typeof forkWorker>;

function forkWorker(index: number, onMessage: (m: FromWorker) => void) {
  const child = fork(fileURLToPath(new URL("./platform-calls-worker.ts", import.meta.url)), [], {
    execArgv: ["--conditions=@bindpool/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<string, (m: FromWorker) => void>();
  let failed: Error | undefined;
  const fail = new Set<(e: Error) => void>();
  child.on("message", (m: FromWorker) => {
    onMessage(m);
    waiting.get(m.type)?.(m);
  });
  child.on("exit", (code) => {
    failed = new Error(`worker ${index} exited with code ${code}`);
    for (const f of fail) f(failed);
  });
  return {
    send: (m: ToWorker) => child.send(m),
    /** The next message of this type. */
    next: <T extends FromWorker["type"]>(type: T) =>
      new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
        if (failed) return reject(failed);
        fail.add(reject);
        waiting.set(type, (m) => {
          waiting.delete(type);
          fail.delete(reject);
          resolve(m as Extract<FromWorker, { type: T }>);
        });
      }),
    exited: new Promise<void>((resolve) => child.on("exit", () => resolve())),
  };
}

async function runKind(
  kind: ClientKind,
  redisUrl: string,
  children: Child[],
  onRefusal: Set<(m: FromWorker) => void>,
) {
  const app = { appKey: `calls-${kind}`, appSecret: "calls-secret" };
  const numbers = Array.from({ length: NUMBERS }, (_, i) => ({
    x: phone("170", i),
    city: CITY,
    province: "GD",
    capacity: CAPACITY,
  }));
  const xs = numbers.map((n) => n.x);
  const pool: PoolConfig = { id: "deliveries", mode: "AXB", numbers };
  const sim = await startSimulator({ apps: [{ ...app, mode: "AXB", numbers }] });
  try {
    const fillTotal = Math.floor(NUMBERS * CAPACITY * FILL);
    const share = (total: number, i: number) =>
      Math.floor(total / PROCESSES) + (i < total % PROCESSES ? 1 : 0);
    const refusals: Extract<FromWorker, { type: "refused" }>[] = [];
    const listener = (m: FromWorker) => {
      if (m.type === "refused" && m.kind === kind) refusals.push(m);
    };
    children.forEach((child, index) => {
      const fill = share(fillTotal, index);
      const config: WorkerConfig = {
        index,
        kind,
        redisUrl,
        prefix: `calls-${kind}`,
        simUrl: sim.url,
        ...app,
        pool,
        city: CITY,
        fill,
        orders: share(ORDERS, index),
        concurrency: CONCURRENCY,
        ...usersOf(index, Math.max(1, share(fillTotal, 0))),
        tries: TRIES,
        seed: 1_000 + index,
        requestsPerSecond: 100_000,
      };
      child.send({ type: "run", config });
    });
    await Promise.all(children.map((c) => c.next("filled")));
    const atStart = sim.bindings(app.appKey);
    const fillShare = atStart.length / (NUMBERS * CAPACITY);
    // Every binding change while measured, with its time, to rebuild the platform's state at a refusal.
    const changes: Change[] = [];
    const unsubscribe = sim.onEvent((e) => {
      if (e.type === "bound" || e.type === "unbound")
        changes.push({ atMs: Date.now(), bound: e.type === "bound", ...e.binding });
    });
    sim.resetStats();
    onRefusal.add(listener);
    const started = performance.now();
    for (const c of children) c.send({ type: "churn" });
    const done = await Promise.all(children.map((c) => c.next("done")));
    const seconds = (performance.now() - started) / 1000;
    onRefusal.delete(listener);
    unsubscribe();
    const stats = sim.stats();
    let refusedWithRoom = 0;
    const byCode: KindResult["refusals"] = {};
    for (const r of refusals) {
      const n = byCode[r.code] ?? { all: 0, withRoom: 0 };
      byCode[r.code] = n;
      n.all++;
      if (validXExisted(bindingsAt(atStart, changes, r.atMs), xs, r.a, r.b)) {
        refusedWithRoom++;
        n.withRoom++;
      }
    }
    const bindCalls = stats.byRoute[`POST ${AXB_PATH}`] ?? 0;
    const unbinds = stats.byRoute[`DELETE ${AXB_PATH}`] ?? 0;
    const errors: Record<string, number> = {};
    for (const d of done) for (const [k, v] of Object.entries(d.errors)) errors[k] = (errors[k] ?? 0) + v;
    return {
      kind,
      fillShare,
      allocated: done.reduce((s, d) => s + d.allocated, 0),
      refused: refusals.length,
      refusedWithRoom,
      refusals: byCode,
      bindCalls,
      otherCalls: stats.requests - bindCalls - unbinds,
      latenciesMs: done.flatMap((d) => d.latenciesMs),
      errors,
      seconds,
    } satisfies KindResult;
  } finally {
    await sim.close();
  }
}

export async function benchPlatformCalls(): Promise<string> {
  const server = await startRedis();
  const onRefusal = new Set<(m: FromWorker) => void>();
  const children = Array.from({ length: PROCESSES }, (_, i) =>
    forkWorker(i, (m) => {
      for (const f of onRefusal) f(m);
    }),
  );
  const results: KindResult[] = [];
  try {
    for (const kind of KINDS) {
      process.stderr.write(`  ${kind}...\n`);
      results.push(await runKind(kind, server.url, children, onRefusal));
    }
  } finally {
    for (const c of children) c.send({ type: "exit" });
    await Promise.all(children.map((c) => c.exited));
    await server.stop();
  }
  const perAlloc = (r: KindResult) => r.bindCalls / Math.max(1, r.allocated);
  const byKind = new Map(results.map((r) => [r.kind, r]));
  const random = perAlloc(byKind.get("random")!);
  const area = perAlloc(byKind.get("areaCode")!);
  const errors = results.flatMap((r) => Object.entries(r.errors).map(([k, v]) => `${r.kind}: ${v} × ${k}`));
  const refusals = results.flatMap((r) =>
    Object.entries(r.refusals).map(
      ([code, n]) => `${r.kind}: ${n.all} × ${code} (${n.withRoom} with a valid X)`,
    ),
  );
  return [
    "### Platform calls per allocation on a 95%-full pool (`pnpm bench calls`)",
    "",
    `${PROCESSES} processes × ${CONCURRENCY} orders at once, one AXB pool of ${NUMBERS} X × ${CAPACITY} pairs, filled to ${Math.round(FILL * 100)}% by each client itself, then ${ORDERS.toLocaleString("en-US")} placements measured (each after completing an open order). Couriers (B) hold 5-15 orders at once, customers (A) 1-3. Bind calls counted at the simulator, failed ones included.`,
    "",
    table(
      [
        "client",
        "fill at start",
        "placed",
        "bind calls / placement",
        "other platform calls / placement",
        "p50",
        "p99",
        "refused",
        "refused while a valid X existed",
        "placements/s",
      ],
      results.map((r) => [
        LABEL[r.kind],
        `${(r.fillShare * 100).toFixed(1)}%`,
        r.allocated.toLocaleString("en-US"),
        perAlloc(r).toFixed(3),
        (r.otherCalls / Math.max(1, r.allocated)).toFixed(3),
        `${percentile(r.latenciesMs, 50).toFixed(1)} ms`,
        `${percentile(r.latenciesMs, 99).toFixed(1)} ms`,
        String(r.refused),
        String(r.refusedWithRoom),
        (r.allocated / r.seconds).toFixed(0),
      ]),
    ),
    "",
    table(
      ["bindpool strategy", "bind calls / placement", "÷ random X with retry", "÷ platform's pick", "≤ 1.01"],
      results
        .filter((r) => r.kind === "leastLoaded" || r.kind === "pack")
        .map((r) => [
          LABEL[r.kind],
          perAlloc(r).toFixed(3),
          (perAlloc(r) / random).toFixed(3),
          (perAlloc(r) / area).toFixed(3),
          perAlloc(r) <= 1.01 ? "yes" : "no",
        ]),
    ),
    ...(refusals.length > 0 ? ["", `Refusals by code: ${refusals.join("; ")}.`] : []),
    ...(errors.length > 0 ? ["", `Errors other than refusals: ${errors.join("; ")}.`] : []),
    "",
    await benchPlacementOptimum(),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchPlatformCalls());
}
