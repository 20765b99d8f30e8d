/**
 * One allocator process of the chaos run (`chaos.ts`): serves allocate / reassign / complete requests
 * from the orchestrator over IPC, and takes part in the sweeper election. It may be killed (-9) at any
 * moment; whatever it had in flight is recovered by leases, the sweeper and the reconciler.
 */
import { Allocator, type Binding, BindpoolError, type PoolConfig, startJobs } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisRateLimiter, RedisStore } from "@bindpool/redis";
import { Redis } from "ioredis";

export interface ChaosInstanceConfig {
  readonly redisUrl: string;
  readonly simUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly pool: PoolConfig;
  readonly requestsPerSecond: number;
  /** How long a reservation is held for an allocation that has not bound yet (and the order lock). */
  readonly leaseMs: number;
  /** How often the elected instance reconciles the store with the platform. */
  readonly reconcileIntervalMs: number;
}

export type ChaosRequest =
  | { id: number; op: "allocate"; orderKey: string; a: string; b: string; preferX?: string }
  | { id: number; op: "reassign"; orderKey: string; b: string }
  | { id: number; op: "complete"; orderKey: string };

/** The binding an answer names, as the history checker reads it. */
export interface ChaosBinding {
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b?: string | undefined;
}

export type ChaosReply =
  | { id: number; ok: true; binding?: ChaosBinding; status?: string }
  /** `typed`: the error is a BindpoolError (anything else escaped the library unwrapped). */
  | { id: number; ok: false; code: string; typed: boolean };
/** What this instance's reconciler repaired while the run went on (a message of its own, not a reply). */
export type ChaosRepair = { repair: string; durationMs?: number };

async function serve(config: ChaosInstanceConfig): Promise<void> {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, retryStrategy: () => 200 });
  redis.on("error", () => {}); // reconnects on its own; calls fail meanwhile and are retried by the orchestrator
  const lock = new RedisLock({ redis, retryCount: 50 });
  const allocator = new Allocator({
    store: new RedisStore({ redis }),
    driver: new HuaweiDriver({
      baseUrl: config.simUrl,
      appKey: config.appKey,
      appSecret: config.appSecret,
      timeoutMs: 1_000,
      requestsPerSecond: Number.POSITIVE_INFINITY,
      limiter: new RedisRateLimiter({
        redis,
        key: `bp:rate:${config.appKey}`,
        requestsPerSecond: config.requestsPerSecond,
      }),
    }),
    lock,
    pools: [config.pool],
    leaseMs: config.leaseMs,
    transientRetries: 4,
    backoffMs: 50,
    unbindRetryMs: 500,
    quarantineMs: 0,
  });
  // The reconciler runs during the run too, while orders come and go (one elected instance at a time).
  allocator.on("reconciled", (e) => process.send?.({ repair: e.action } satisfies ChaosRepair));
  allocator.on("adopted", (e) => {
    if (e.by === "reconciler") process.send?.({ repair: "adopted" } satisfies ChaosRepair);
  });
  // After Redis lost its data: how often it was noticed, and how long each rebuild from the platform took.
  allocator.on("storeLost", () => process.send?.({ repair: "storeLost" } satisfies ChaosRepair));
  allocator.on("rebuilt", (e) =>
    process.send?.({ repair: "rebuilt", durationMs: e.durationMs } satisfies ChaosRepair),
  );
  // A conflict with an injected orphan fences its user off that X until the reconciler unbinds it.
  allocator.on("fenced", () => process.send?.({ repair: "fenced" } satisfies ChaosRepair));
  startJobs(allocator, {
    leader: lock,
    sweepIntervalMs: 1_000,
    reconcileIntervalMs: config.reconcileIntervalMs,
    onError: () => process.send?.({ repair: "jobFailed" } satisfies ChaosRepair),
  });

  process.on("message", async (req: ChaosRequest) => {
    try {
      if (req.op === "allocate") {
        const b = await allocator.allocate({
          pool: config.pool.id,
          orderKey: req.orderKey,
          a: req.a,
          b: req.b,
          preferX: req.preferX,
          ttlSeconds: 3_600,
        });
        process.send?.({ id: req.id, ok: true, binding: view(b) } satisfies ChaosReply);
      } else if (req.op === "reassign") {
        const b = await allocator.reassign(req.orderKey, { b: req.b }, config.pool.id);
        process.send?.({ id: req.id, ok: true, binding: view(b) } satisfies ChaosReply);
      } else {
        const { status } = await allocator.complete(req.orderKey, config.pool.id);
        process.send?.({ id: req.id, ok: true, status } satisfies ChaosReply);
      }
    } catch (error) {
      const typed = error instanceof BindpoolError;
      const code = typed
        ? error.code
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
      process.send?.({ id: req.id, ok: false, code, typed } satisfies ChaosReply);
    }
  });
  process.send?.({ id: 0, ok: true });
}

function view(b: Binding): ChaosBinding {
  return { subscriptionId: b.subscriptionId, x: b.x, a: b.a, b: b.b };
}

if (process.send) {
  process.once("message", (m: { type: string; config: ChaosInstanceConfig }) => {
    if (m.type === "start") void serve(m.config);
  });
}
