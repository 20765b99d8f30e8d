/**
 * Redis' own cost per order operation: the server's CPU time (INFO cpu: the scripts, reading and
 * answering calls) and its script time (INFO commandstats, FCALL) per reserve, confirm and release, in
 * steady state: a pool of 10 000 X already carrying 20 000 bound orders, rounds of 10 000 orders each
 * reserved, confirmed and released by 64 callers through one RedisStore (default batching). Beside it, a
 * trivial one-key script (INCR) from the same 64 callers: the floor any call pays. Run alone:
 * `node --conditions=@bindpool/source --import tsx bench/redis-cpu.ts`
 * (BENCH_NUMBERS, BENCH_LIVE, BENCH_ORDERS, BENCH_ROUNDS change the sizes).
 */
import { pathToFileURL } from "node:url";
import { RedisStore } from "@bindpool/redis";
import type { Redis } from "ioredis";
import { measureBytesPerBinding, readyPool, startRedis } from "../packages/redis/test/harness.js";
import { percentile, table } from "./report.js";

const NUMBERS = Number(process.env.BENCH_NUMBERS ?? 10_000);
const LIVE = Number(process.env.BENCH_LIVE ?? 20_000);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = 64;
const TARGETS = { reserve: "≤ 40", lifecycle: "≤ 80" } as Record<string, string>;

const phone = (prefix: string, i: number) => `${prefix}${String(i).padStart(9, "0")}`;

interface Cost {
  /** Redis' whole CPU time per operation, µs. */
  readonly cpuUs: number;
  /** Script (FCALL or EVALSHA) time inside Redis per operation, µs. */
  readonly scriptUs: number;
  /** Redis commands the scripts ran per operation (INFO commandstats): the same on any machine. */
  readonly commands: number;
}

/** Calls that are not a script's own commands: the scripts themselves and this benchmark's reads. */
const OUTER = new Set(["fcall", "evalsha", "info", "function|load", "function"]);

async function counters(redis: Redis): Promise<{ script: number; cpu: number; commands: number }> {
  const [stats, cpu] = await Promise.all([redis.info("commandstats"), redis.info("cpu")]);
  let script = 0;
  let commands = 0;
  for (const [, cmd = "", calls, usec] of stats.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
    if (cmd === "fcall" || cmd === "evalsha") script += Number(usec);
    if (!OUTER.has(cmd)) commands += Number(calls);
  }
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  return { script, cpu: (field("used_cpu_sys") + field("used_cpu_user")) * 1e6, commands };
}

/** Runs `op` for indexes [0, n) from CONCURRENCY callers and returns Redis' cost per call of `op`. */
async function cost(redis: Redis, n: number, op: (i: number) => Promise<unknown>): Promise<Cost> {
  const before = await counters(redis);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await op(next++);
    }),
  );
  const after = await counters(redis);
  return {
    cpuUs: (after.cpu - before.cpu) / n,
    scriptUs: (after.script - before.script) / n,
    commands: (after.commands - before.commands) / n,
  };
}

/** Runs the benchmark and returns a markdown report. */
export async function benchRedisCpu(): Promise<string> {
  const server = await startRedis();
  const redis = server.client();
  try {
    const store = new RedisStore({ redis, prefix: "cpu" });
    const pool = "city";
    await readyPool(
      store,
      pool,
      "AXB",
      Array.from({ length: NUMBERS }, (_, i) => ({ x: phone("+86199", i), capacity: 5000 })),
    );
    const now = Date.now();
    const order = (round: number, i: number) => ({
      pool,
      orderKey: `order-${round}-${i}`,
      a: phone("+86131", round * 1_000_000 + i),
      b: phone("+86132", round * 1_000_000 + i),
      exclude: [],
      strategy: { name: "leastLoaded" } as const,
      leaseMs: 600_000,
      nowMs: now,
    });
    const subscriptionId = (i: number) => `0b7c1e7e-5c3f-4a8e-9d7e-${String(i).padStart(12, "0")}`;
    // The live bindings the pool carries throughout (round -1).
    await cost(redis, LIVE, async (i) => {
      const r = await store.reserve(order(-1, i));
      if (!r.ok || r.existing) throw new Error("fill: not reserved");
      const { orderKey } = order(-1, i);
      const untilMs = now + 86_400_000;
      await store.confirm({
        pool,
        orderKey,
        token: r.entry.token,
        subscriptionId: subscriptionId(i),
        untilMs,
        nowMs: now,
      });
    });
    redis.defineCommand("benchTrivial", { numberOfKeys: 1, lua: "return redis.call('INCR', KEYS[1])" });
    const trivial = (redis as Redis & { benchTrivial(key: string): Promise<number> }).benchTrivial.bind(
      redis,
    );
    const ops = ["trivial script", "reserve", "confirm", "release"] as const;
    const rows: Record<(typeof ops)[number], Cost[]> = {
      "trivial script": [],
      reserve: [],
      confirm: [],
      release: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      rows["trivial script"].push(await cost(redis, ORDERS, (i) => trivial(`trivial:${i % 16}`)));
      const tokens: number[] = [];
      rows.reserve.push(
        await cost(redis, ORDERS, async (i) => {
          const r = await store.reserve(order(round, i));
          if (!r.ok || r.existing) throw new Error("reserve: not reserved");
          tokens[i] = r.entry.token;
        }),
      );
      rows.confirm.push(
        await cost(redis, ORDERS, async (i) => {
          const { orderKey } = order(round, i);
          const untilMs = now + 3_600_000 + i;
          const token = tokens[i]!;
          const got = await store.confirm({
            pool,
            orderKey,
            token,
            subscriptionId: subscriptionId(i),
            untilMs,
            nowMs: now,
          });
          if (got !== "ok") throw new Error(`confirm: ${got}`);
        }),
      );
      rows.release.push(
        await cost(redis, ORDERS, async (i) => {
          const got = await store.release(pool, order(round, i).orderKey, tokens[i]);
          if (got !== "released") throw new Error(`release: ${got}`);
        }),
      );
    }
    const lifecycle = rows.reserve.map((r, i) => ({
      cpuUs: r.cpuUs + rows.confirm[i]!.cpuUs + rows.release[i]!.cpuUs,
      scriptUs: r.scriptUs + rows.confirm[i]!.scriptUs + rows.release[i]!.scriptUs,
      commands: r.commands + rows.confirm[i]!.commands + rows.release[i]!.commands,
    }));
    const cell = (xs: readonly Cost[], k: keyof Cost) => {
      const v = xs.map((c) => c[k]);
      return `${percentile(v, 50).toFixed(1)} (${Math.min(...v).toFixed(1)}–${Math.max(...v).toFixed(1)})`;
    };
    const line = (name: string, xs: readonly Cost[]) => [
      name,
      cell(xs, "cpuUs"),
      cell(xs, "scriptUs"),
      percentile(
        xs.map((c) => c.commands),
        50,
      ).toFixed(2),
      TARGETS[name] ?? "",
    ];
    const bytes = await measureBytesPerBinding(redis, { prefix: "mem", bindings: 20_000 });
    return [
      `### Redis CPU per order operation (${NUMBERS.toLocaleString("en-US")} X, ${LIVE.toLocaleString("en-US")} live bindings, ${ROUNDS} rounds of ${ORDERS.toLocaleString("en-US")} orders)`,
      "",
      table(
        [
          "operation",
          "Redis CPU µs/op, median (min–max)",
          "script µs/op",
          "Redis commands/op",
          "target (CPU)",
        ],
        [...ops.map((op) => line(op, rows[op])), line("lifecycle", lifecycle)],
      ),
      "",
      `Lifecycle = reserve + confirm + release of one order. Memory: ${bytes.toFixed(1)} B per binding (20 000 bound AXB orders; target ≤ 250).`,
    ].join("\n");
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchRedisCpu());
}
