import {
  BindpoolError,
  PlatformAuthError,
  StoreLostError,
  type StoreLostReason,
  StoreRecoveringError,
} from "../errors/index.js";
import { reconcilePool } from "../lifecycle/reconciler.js";
import type { Context } from "../repair/context.js";
import { capacityOf } from "../rules/index.js";
import type { ParsedPool } from "../runtime/tuning.js";
import type { PoolGeneration } from "../store/index.js";

/** Passes of one rebuild before its callers hear `BINDPOOL_STORE_RECOVERING` (each pass adopts more). */
const REBUILD_ATTEMPTS = 5;

/** The lock a pool's rebuild runs under (no orderKey can be this: it starts with a control character). */
const REBUILD_LOCK = "\u0000rebuild";

/** Answers of a lock that another holder keeps: the rebuild is running elsewhere. */
const LOCK_WAIT_CODES: ReadonlySet<string> = new Set(["BINDPOOL_LOCK_BUSY", "BINDPOOL_ORDER_PENDING"]);

/**
 * Keeps each pool usable: writes it into the store on first use (unless `writePools: false`), and when the
 * store says it lost the pool's state (`StoreLostError`), takes the pool's new state and, while the pool
 * is recovering, rebuilds it from the platform before any call may use it. A rebuild adopts every platform
 * binding the store lacks (the orderKey from its userData) and unbinds nothing; one instance runs it
 * (under the pool's rebuild lock), the others wait for it or take it over.
 */
export class PoolKeeper {
  private readonly ready = new Map<string, Promise<void>>();
  /** Pools whose preparation (write, rebuild) runs now. */
  private readonly preparing = new Set<string>();

  constructor(
    private readonly ctx: Context,
    private readonly writes: boolean,
  ) {}

  /** Resolves once the pool is in the store and not recovering. */
  whenReady(pool: ParsedPool): Promise<void> {
    let ready = this.ready.get(pool.id);
    if (ready === undefined) {
      ready = this.prepare(pool, undefined);
      this.track(pool, ready);
    }
    return ready;
  }

  /** Runs `fn` once the pool is ready; a `StoreLostError` from it starts the pool's rebuild and goes up. */
  async use<T>(pool: ParsedPool, fn: () => Promise<T>): Promise<T> {
    await this.whenReady(pool);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StoreLostError && error.pool === pool.id) this.lost(pool, error.reason);
      throw error;
    }
  }

  private lost(pool: ParsedPool, reason: StoreLostReason): void {
    // Every call in flight may fail at once: the first starts the rebuild, the others wait for it.
    if (this.preparing.has(pool.id)) return;
    this.ctx.events.emit("storeLost", { pool: pool.id, reason });
    const ready = this.prepare(pool, reason);
    this.track(pool, ready);
    ready.catch(() => {}); // the next call sees it; nobody may be waiting now
  }

  /** Keeps `ready` as the pool's readiness until it fails (then the next call tries again). */
  private track(pool: ParsedPool, ready: Promise<void>): void {
    this.ready.set(pool.id, ready);
    this.preparing.add(pool.id);
    const settled = () => {
      if (this.ready.get(pool.id) !== ready) return;
      this.preparing.delete(pool.id);
    };
    ready.then(settled, () => {
      settled();
      if (this.ready.get(pool.id) === ready) this.ready.delete(pool.id);
    });
  }

  private async prepare(pool: ParsedPool, lost: StoreLostReason | undefined): Promise<void> {
    let g = await this.accept(pool, lost);
    if (g === undefined) return;
    // One instance rebuilds; the others wait here for the lock and then find the pool recovered.
    while (g.recovering) {
      const generation = g.generation;
      try {
        g = await this.ctx.orders.run(pool.id, REBUILD_LOCK, async () => {
          const now = await this.ctx.store.poolGeneration(pool.id);
          if (now === undefined) throw new StoreLostError(pool.id, "missing");
          if (!now.recovering || now.generation !== generation) return now;
          await this.rebuildRetrying(pool, now);
          return (await this.ctx.store.poolGeneration(pool.id)) ?? now;
        });
      } catch (error) {
        // A big pool's rebuild outlasts the lock's retry window: while another instance runs it (the
        // lock is held, and ends at its TTL if that instance died), keep waiting instead of failing.
        if (!(error instanceof BindpoolError && LOCK_WAIT_CODES.has(error.code))) throw error;
        const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs ?? this.ctx.tuning.backoffMs;
        await this.ctx.scheduler.sleep(Math.max(1, Math.min(retryAfterMs, this.ctx.tuning.maxBackoffMs)));
        g = (await this.ctx.store.poolGeneration(pool.id)) ?? g;
      }
    }
  }

  /** Writes (or reads) the pool and takes its state as the one to check every call against. */
  private async accept(
    pool: ParsedPool,
    lost: StoreLostReason | undefined,
  ): Promise<PoolGeneration | undefined> {
    const { store } = this.ctx;
    if (!this.writes) {
      // Tools that only read pools (the CLI): a missing pool is the tool's to report.
      return lost === "rollback" ? undefined : store.poolGeneration(pool.id);
    }
    const numbers = pool.numbers.map((n) => ({
      x: n.x,
      city: n.city,
      province: n.province,
      capacity: capacityOf(pool.mode, n.capacity),
      extensionDigits: n.extensionDigits,
    }));
    const g = await store.upsertPool(pool.id, pool.mode, numbers, { rebuild: lost === "rollback" });
    for (const n of pool.numbers)
      if (n.state !== undefined) await store.setNumberState(pool.id, n.x, n.state);
    return g;
  }

  /**
   * A rebuild that could not read every X (platform faults) runs again after a pause, a few times, so
   * the pool is served again as soon as the platform lets it, not at the next call.
   */
  private async rebuildRetrying(pool: ParsedPool, g: PoolGeneration): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rebuild(pool, g);
      } catch (error) {
        if (!(error instanceof StoreRecoveringError) || attempt >= REBUILD_ATTEMPTS) throw error;
        const { backoffMs, maxBackoffMs } = this.ctx.tuning;
        await this.ctx.scheduler.sleep(Math.min(maxBackoffMs, backoffMs * 2 ** attempt));
      }
    }
  }

  /** Adopts what the platform holds for the pool's numbers, then ends the recovery. */
  private async rebuild(pool: ParsedPool, g: PoolGeneration): Promise<void> {
    const started = this.ctx.now();
    // Credentials are checked first, so a wrong secret says so instead of "recovering" forever.
    const probe = await this.ctx.platform.queryX(pool.mode, pool.numbers[0]!.x);
    if (probe.kind === "auth") throw new PlatformAuthError(probe);
    const report = await reconcilePool(this.ctx, pool, { adoptUnknown: true });
    if (report.failedQueries > 0) {
      // Some X could not be read: the pool stays recovering (fails closed); the next call tries again.
      throw new StoreRecoveringError(pool.id);
    }
    await this.ctx.store.finishRecovery(pool.id, g.generation);
    const { adopted, droppedMissing } = report;
    this.ctx.events.emit("rebuilt", {
      pool: pool.id,
      adopted,
      droppedMissing,
      durationMs: this.ctx.now() - started,
    });
  }
}
