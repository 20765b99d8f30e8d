/**
 * One allocating process of `bench/platform-calls.ts`, run as a child process. It plays one client kind:
 * bindpool (Allocator + RedisStore + RedisLock + shared RedisRateLimiter + HuaweiDriver, with a strategy)
 * or one of the two ways users allocate without bindpool (no store: a random X with retries through the
 * Huawei driver, or the platform's own pick by `areaCode` through a minimal signed client). It owns a
 * share of the couriers and customers, fills its share of the pool, then on "churn" completes one of its
 * orders and places a new one per step, so the pool stays at its fill level while it is measured.
 */
import { Allocator, type BindpoolError, type PoolConfig, seededRandom } from "@bindpool/core";
import { AXB_PATH, authHeaders, HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisRateLimiter, RedisStore } from "@bindpool/redis";
import { Redis } from "ioredis";

export type ClientKind = "leastLoaded" | "pack" | "random" | "areaCode";

/** A user of the workload and how many orders it has open at most (courier 5-15, customer 1-3). */
export interface User {
  readonly phone: string;
  readonly target: number;
}

export interface WorkerConfig {
  readonly index: number;
  readonly kind: ClientKind;
  readonly redisUrl: string;
  /** Key prefix of this kind's store: each kind gets a fresh pool state. */
  readonly prefix: string;
  readonly simUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly pool: PoolConfig;
  readonly city: string;
  /** Orders this process places to fill its share of the pool. */
  readonly fill: number;
  /** Orders this process places while measured. */
  readonly orders: number;
  readonly concurrency: number;
  readonly couriers: readonly User[];
  readonly customers: readonly User[];
  /** The random client's tries per order (and bindpool's `maxAttempts`). */
  readonly tries: number;
  readonly seed: number;
  readonly requestsPerSecond: number;
}

export type ToWorker = { type: "run"; config: WorkerConfig } | { type: "churn" } | { type: "exit" };
export type FromWorker =
  | { type: "filled"; placed: number; refused: number }
  | { type: "refused"; kind: ClientKind; a: string; b: string; code: string; atMs: number }
  | {
      type: "done";
      allocated: number;
      refused: number;
      latenciesMs: number[];
      errors: Record<string, number>;
    };

/** Places one order; answers the subscription id, or throws with the refusal's code. */
type Place = (orderKey: string, a: string, b: string) => Promise<string>;
type Complete = (orderKey: string, subscriptionId: string) => Promise<void>;

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

async function clientOf(config: WorkerConfig): Promise<{ place: Place; complete: Complete; close(): void }> {
  const credentials = { appKey: config.appKey, appSecret: config.appSecret };
  const durationSeconds = 3_600;
  if (config.kind === "leastLoaded" || config.kind === "pack") {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
    const driver = new HuaweiDriver({
      baseUrl: config.simUrl,
      ...credentials,
      requestsPerSecond: Number.POSITIVE_INFINITY, // the shared limiter paces every process together
      limiter: new RedisRateLimiter({
        redis,
        key: `${config.prefix}:rate`,
        requestsPerSecond: config.requestsPerSecond,
      }),
      concurrency: config.concurrency,
    });
    const allocator = new Allocator({
      store: new RedisStore({ redis, prefix: config.prefix }),
      driver,
      lock: new RedisLock({ redis, prefix: config.prefix }),
      pools: [config.pool],
      strategy: { name: config.kind },
      maxAttempts: config.tries,
    });
    await allocator.init();
    return {
      place: async (orderKey, a, b) => {
        try {
          const binding = await allocator.allocate({
            pool: config.pool.id,
            orderKey,
            a,
            b,
            ttlSeconds: 3_000,
          });
          return binding.subscriptionId ?? "";
        } catch (error) {
          throw new Refused((error as BindpoolError).code ?? String(error));
        }
      },
      complete: async (orderKey) => {
        await allocator.complete(orderKey);
      },
      close: () => redis.disconnect(),
    };
  }
  const driver = new HuaweiDriver({
    baseUrl: config.simUrl,
    ...credentials,
    requestsPerSecond: Number.POSITIVE_INFINITY,
    concurrency: config.concurrency,
  });
  const complete: Complete = async (_orderKey, subscriptionId) => {
    await driver.unbind({ mode: "AXB", subscriptionId });
  };
  if (config.kind === "random") {
    // What the public examples do: a random X of the app's list, another one when the platform says no.
    const xs = config.pool.numbers.map((n) => n.x);
    const random = seededRandom(config.seed ^ 0x5bd1e995);
    return {
      place: async (_orderKey, a, b) => {
        const tried = new Set<string>();
        let code = "none";
        for (let t = 0; t < config.tries && tried.size < xs.length; t++) {
          let x = xs[Math.floor(random() * xs.length)]!;
          while (tried.has(x)) x = xs[Math.floor(random() * xs.length)]!;
          tried.add(x);
          const r = await driver.bind({ mode: "AXB", x, a, b, durationSeconds });
          if (r.kind === "ok") return r.value.subscriptionId;
          code = r.code;
        }
        throw new Refused(code);
      },
      complete,
      close: () => {},
    };
  }
  // The platform's own pick (§13): a bind that names the city instead of X, signed by hand.
  return {
    place: async (_orderKey, a, b) => {
      const response = await fetch(config.simUrl + AXB_PATH, {
        method: "POST",
        headers: {
          "Content-Type": "application/json;charset=UTF-8",
          Accept: "application/json",
          ...authHeaders("aksk", credentials),
        },
        body: JSON.stringify({
          areaCode: config.city,
          callerNum: a,
          calleeNum: b,
          duration: durationSeconds,
        }),
      });
      const body = (await response.json()) as { resultcode: string; subscriptionId?: string };
      if (String(body.resultcode) !== "0" || !body.subscriptionId) throw new Refused(String(body.resultcode));
      return body.subscriptionId;
    },
    complete,
    close: () => {},
  };
}

async function run(config: WorkerConfig, send: (m: FromWorker) => void, churn: Promise<void>): Promise<void> {
  const client = await clientOf(config);
  const random = seededRandom(config.seed);
  const openOf = new Map<string, number>(); // user -> orders open or being placed
  const open: { orderKey: string; subscriptionId: string; a: string; b: string }[] = [];
  let seq = 0;
  const pick = (users: readonly User[]): string | undefined => {
    const free = users.filter((u) => (openOf.get(u.phone) ?? 0) < u.target);
    return free.length === 0 ? undefined : free[Math.floor(random() * free.length)]!.phone;
  };
  const bump = (phone: string, by: number) => openOf.set(phone, (openOf.get(phone) ?? 0) + by);

  /** One new order for a courier and a customer with room; resolves false when it was refused. */
  const placeOne = async (latencies?: number[]): Promise<boolean> => {
    const b = pick(config.couriers);
    const a = pick(config.customers);
    if (a === undefined || b === undefined) throw new Error("no user with room: more users needed");
    bump(a, 1);
    bump(b, 1);
    const orderKey = `o${config.index}-${seq++}`;
    const started = performance.now();
    try {
      const subscriptionId = await client.place(orderKey, a, b);
      latencies?.push(performance.now() - started);
      open.push({ orderKey, subscriptionId, a, b });
      return true;
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      bump(a, -1);
      bump(b, -1);
      if (latencies) send({ type: "refused", kind: config.kind, a, b, code: error.code, atMs: Date.now() });
      return false;
    }
  };
  const workers = async (n: number, step: () => Promise<void>) => {
    let started = 0;
    await Promise.all(
      Array.from({ length: config.concurrency }, async () => {
        while (started < n) {
          started++;
          await step();
        }
      }),
    );
  };

  // Fill: exactly `fill` placements (never more in flight than still missing), at most 3 tries each.
  let placed = 0;
  let inFlight = 0;
  let fillRefused = 0;
  await Promise.all(
    Array.from({ length: config.concurrency }, async () => {
      while (placed + inFlight < config.fill && placed + fillRefused < config.fill * 3) {
        inFlight++;
        const ok = await placeOne();
        inFlight--;
        if (ok) placed++;
        else fillRefused++;
      }
    }),
  );
  send({ type: "filled", placed, refused: fillRefused });
  await churn;

  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  let allocated = 0;
  let refused = 0;
  await workers(config.orders, async () => {
    const i = Math.floor(random() * open.length);
    const done = open[i];
    if (done) {
      open[i] = open[open.length - 1]!;
      open.pop();
      await client.complete(done.orderKey, done.subscriptionId);
      bump(done.a, -1);
      bump(done.b, -1);
    }
    try {
      if (await placeOne(latenciesMs)) allocated++;
      else refused++;
    } catch (error) {
      const code = error instanceof Error ? error.message : String(error);
      errors[code] = (errors[code] ?? 0) + 1;
    }
  });
  send({ type: "done", allocated, refused, latenciesMs, errors });
  client.close();
}

// One process serves every client kind in turn ("run", "churn", "run", ...): starting 16 processes with
// tsx costs more CPU than a kind's whole measurement on a 2-core machine.
if (process.send) {
  let startChurn: () => void = () => {};
  process.on("message", (m: ToWorker) => {
    if (m.type === "run") {
      const churn = new Promise<void>((resolve) => {
        startChurn = resolve;
      });
      run(m.config, (msg) => process.send?.(msg), churn).catch((error: unknown) => {
        console.error(`worker failed: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
      });
    } else if (m.type === "churn") startChurn();
    else if (m.type === "exit") process.disconnect();
  });
}
