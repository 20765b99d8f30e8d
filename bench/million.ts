/**
 * One pool with a million bound AXB orders (filled through the store, not the platform), on one Redis the
 * harness starts in this run: the longest single Redis call while the operator and job reads walk the
 * whole pool (`entries`, as the reconciler and `bindpool entries` do; `stats` and `numbers`, as
 * `bindpool stats` does), Redis memory per binding, and the cost of a reserve beside it.
 *
 * The longest call comes from Redis' own SLOWLOG (every call over 0.5 ms is logged, and the longest is
 * reported; "< 0.5 ms" when none was). `BENCH_BINDINGS` sets the pool's size (default 1 000 000).
 * Run alone: `node --conditions=@bindpool/source --import tsx bench/million.ts`.
 */
import { pathToFileURL } from "node:url";
import { RedisStore } from "@bindpool/redis";
import type { Redis } from "ioredis";
import { startRedis } from "../packages/redis/test/harness.js";
import { table } from "./report.js";

const BINDINGS = Number(process.env.BENCH_BINDINGS ?? 1_000_000);
const PER_X = 5_000;
const SLOW_US = 500;
const T0 = 1_000_000;

const phone = (prefix: string, i: number) => `${prefix}${String(i).padStart(9, "0")}`;

/** Runs `op` and answers the longest Redis call it made (SLOWLOG), µs, or undefined when none was slow. */
async function longestCall(redis: Redis, op: () => Promise<unknown>): Promise<{ us?: number; ms: number }> {
  await redis.slowlog("RESET");
  const started = performance.now();
  await op();
  const ms = performance.now() - started;
  const log = (await redis.slowlog("GET", 100_000)) as [number, number, number, string[]][];
  const us = log.length === 0 ? undefined : Math.max(...log.map((entry) => Number(entry[2])));
  return { us, ms };
}

/** Redis' own time per FCALL (INFO commandstats), µs, over what `op` did. */
async function fcallUs(redis: Redis, op: () => Promise<void>): Promise<number> {
  const stats = async () => {
    const info = String(await redis.info("commandstats"));
    const m = /cmdstat_fcall:calls=(\d+),usec=(\d+)/.exec(info);
    return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
  };
  const before = await stats();
  await op();
  const after = await stats();
  return (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(String(await redis.info("memory")))?.[1] ?? 0);
}

export async function benchMillion(): Promise<string> {
  const server = await startRedis();
  const redis = server.client();
  try {
    // One reserve per call, so a reserve's cost below is the script's own, not a batch's share.
    const store = new RedisStore({ redis, prefix: "m", maxBatch: 1 });
    const numbers = Math.ceil((BINDINGS * 1.25) / PER_X);
    const { generation } = await store.upsertPool(
      "p",
      "AXB",
      Array.from({ length: numbers }, (_, i) => ({ x: phone("+86170", i), capacity: PER_X })),
    );
    await store.finishRecovery("p", generation);
    const before = await usedMemory(redis);
    const filler = new RedisStore({ redis, prefix: "m" }); // batched writes: the fill goes faster
    const started = performance.now();
    for (let i = 0; i < BINDINGS; i += 2_000) {
      await Promise.all(
        Array.from({ length: Math.min(2_000, BINDINGS - i) }, async (_, j) => {
          const n = i + j;
          const orderKey = `order-${n}`;
          const r = await filler.reserve({
            pool: "p",
            orderKey,
            a: phone("+86138", n),
            b: phone("+86139", n),
            exclude: [],
            strategy: { name: "leastLoaded" },
            leaseMs: 60_000,
            nowMs: T0,
          });
          if (!r.ok) throw new Error(`fill: ${r.reason}`);
          await filler.confirm({
            pool: "p",
            orderKey,
            token: r.entry.token,
            subscriptionId: `sub-${n}`,
            untilMs: T0 + 86_400_000,
            nowMs: T0,
          });
        }),
      );
      if (i % 100_000 === 0) process.stderr.write(`  filled ${i}/${BINDINGS}\n`);
    }
    const fillSeconds = (performance.now() - started) / 1000;
    const bytesPerBinding = ((await usedMemory(redis)) - before) / BINDINGS;

    await redis.config("SET", "slowlog-log-slower-than", String(SLOW_US));
    await redis.config("SET", "slowlog-max-len", "100000");
    let read = 0;
    const entries = await longestCall(redis, async () => {
      read = (await store.entries("p")).length;
    });
    if (read !== BINDINGS) throw new Error(`entries read ${read} of ${BINDINGS}`);
    const stats = await longestCall(redis, () => store.stats("p", T0));
    const listed = await longestCall(redis, () => store.numbers("p"));
    let k = BINDINGS;
    /** 2 000 reserves of new pairs into the full pool, one after the other. */
    const reserveMore = async () => {
      for (let i = 0; i < 2_000; i++) {
        const n = k++;
        await store.reserve({
          pool: "p",
          orderKey: `extra-${n}`,
          a: phone("+86136", n),
          b: phone("+86137", n),
          exclude: [],
          strategy: { name: "leastLoaded" },
          leaseMs: 60_000,
          nowMs: T0,
        });
      }
    };
    const reserveOnly = await fcallUs(redis, reserveMore);
    const reserves = await longestCall(redis, reserveMore);
    const shown = (r: { us?: number; ms: number }) => [
      r.us === undefined ? `< ${SLOW_US / 1000} ms` : `${(r.us / 1000).toFixed(2)} ms`,
      `${r.ms.toFixed(0)} ms`,
    ];
    return [
      `### One pool of ${BINDINGS.toLocaleString("en-US")} bound orders (\`pnpm bench million\`)`,
      "",
      `${numbers} X of ${PER_X} pairs; filled through the store in ${fillSeconds.toFixed(0)} s. Redis memory: ${bytesPerBinding.toFixed(0)} B per binding.`,
      "",
      table(
        ["operation", "longest single Redis call (SLOWLOG)", "whole operation"],
        [
          ["`entries` (reconciler, `bindpool entries`)", ...shown(entries)],
          ["`stats` (`bindpool stats`)", ...shown(stats)],
          ["`numbers` (`bindpool numbers`)", ...shown(listed)],
          ["2 000 reserves", ...shown(reserves)],
        ],
      ),
      "",
      `A reserve into the full pool: ${reserveOnly.toFixed(1)} µs of Redis time per call (INFO commandstats).`,
    ].join("\n");
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(await benchMillion());
}
