/**
 * The two ways a replay places orders: straight on a MemoryStore (the search: the store's reserve is
 * where X is picked, so this is the allocator's pick without the calls around it), and through the real
 * Allocator with the in-process platform (the confirmation).
 */
import {
  Allocator,
  MemoryStore,
  type PoolConfig,
  PoolExhaustedError,
  type Scheduler,
  UserLimitError,
} from "@bindpool/core";
import { NO_USER, type OrderLog, type PlanMode } from "./log.js";
import { PlanPlatform } from "./platform.js";
import type { Placement, Placer } from "./replay.js";

/** Same-city picking only (`strict`), or the city first and then any X of the pool (`ladder`). */
export type AreaPolicy = "strict" | "ladder";

/** What to replay: per group (mode and city), how many X, each carrying `capacity` orders. */
export interface PlanLayout {
  readonly log: OrderLog;
  readonly mode: PlanMode;
  /** Group index -> number of X of its city. */
  readonly xs: ReadonlyMap<number, number>;
  /** Orders per X (AXB pairs, AXE extensions; AX: 1). */
  readonly capacity: number;
  readonly area: AreaPolicy;
}

/** A group's area code in the pool (the log's city labels need not be area codes). */
const cityCode = (group: number) => String(group + 1).padStart(4, "0");

/** The k-th X of a group: made-up numbers, unique per group and k. */
const xName = (group: number, k: number) =>
  `+8617${String(group).padStart(4, "0")}${String(k).padStart(6, "0")}`;

/** Users as phone numbers (the allocator takes E.164); the log's own labels never reach the store. */
function phones(): (user: number) => string {
  const cache: string[] = [];
  return (user) => {
    let phone = cache[user];
    if (phone === undefined) {
      phone = `+8613${String(user).padStart(9, "0")}`;
      cache[user] = phone;
    }
    return phone;
  };
}

/** The X each served order got, by order: an index per order rather than a string per order. */
class XsOfOrders {
  private readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly byOrder: Uint32Array;

  constructor(orders: number) {
    this.byOrder = new Uint32Array(orders);
  }

  set(order: number, x: string): void {
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.names.push(x);
      this.ids.set(x, id);
    }
    this.byOrder[order] = id;
  }

  get(order: number): string | undefined {
    const id = this.byOrder[order]!;
    return id === 0 ? undefined : this.names[id - 1];
  }
}

/** Seconds an order lasts, as the allocator's `ttlSeconds` takes it. */
function ttlSecondsOf(log: OrderLog, order: number): number {
  return Math.max(1, Math.ceil((log.endMs[order]! - log.startMs[order]!) / 1000));
}

function numbersOf(layout: PlanLayout): { x: string; city: string; capacity: number }[] {
  const numbers: { x: string; city: string; capacity: number }[] = [];
  for (const [group, count] of layout.xs) {
    for (let k = 0; k < count; k++)
      numbers.push({ x: xName(group, k), city: cityCode(group), capacity: layout.capacity });
  }
  return numbers;
}

const POOL = "plan";

/** Places orders with the store's own reserve and release, as the allocator's would. */
export async function storePlacer(layout: PlanLayout): Promise<Placer> {
  const { log, mode, area } = layout;
  const store = new MemoryStore();
  const numbers = numbersOf(layout);
  const g = await store.upsertPool(POOL, mode, numbers);
  await store.finishRecovery(POOL, g.generation);
  const phone = phones();
  const xs = new XsOfOrders(log.count);
  const strategy = { name: "leastLoaded" } as const;
  return {
    async allocate(order, nowMs): Promise<Placement> {
      const b = log.b[order]!;
      const reserved = await store.reserve({
        pool: POOL,
        orderKey: String(order),
        a: phone(log.a[order]!),
        b: b === NO_USER ? undefined : phone(b),
        area: { city: cityCode(log.group[order]!), match: area },
        exclude: [],
        strategy,
        // Never confirmed and never swept: a reservation here holds X until `complete` like a binding.
        leaseMs: 1_000_000_000_000,
        nowMs,
      });
      if (reserved.ok) {
        xs.set(order, reserved.entry.x);
        return "served";
      }
      return reserved.reason === "userLimit" ? "unservable" : "refused";
    },
    async complete(order) {
      await store.release(POOL, String(order));
    },
    xOf: (order) => xs.get(order),
  };
}

/** A scheduler for the virtual clock: nothing waits (the platform answers at once) and draws are seeded. */
function planScheduler(): Scheduler {
  let seed = 0x9e3779b9;
  return {
    sleep: async () => {},
    random: () => {
      seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
      return (seed >>> 0) / 2 ** 32;
    },
  };
}

/** Places orders through the real Allocator, on a MemoryStore, against the in-process platform. */
export async function allocatorPlacer(layout: PlanLayout): Promise<Placer> {
  const { log, area } = layout;
  const numbers = numbersOf(layout);
  const phone = phones();
  const xs = new XsOfOrders(log.count);
  if (numbers.length === 0) {
    // No X at all in this mode: a pool needs one, and every order is refused anyway.
    return { allocate: async () => "refused", complete: async () => {}, xOf: () => undefined };
  }
  let now = 0;
  const pools: PoolConfig[] = [{ id: POOL, mode: layout.mode, numbers }];
  const allocator = new Allocator({
    store: new MemoryStore(),
    driver: new PlanPlatform(() => layout.capacity),
    pools,
    clock: () => now,
    scheduler: planScheduler(),
  });
  await allocator.init();
  let allocations = 0;
  return {
    async allocate(order, nowMs): Promise<Placement> {
      now = nowMs;
      // The sweeper's pass, as the app's jobs would run it: it finds nothing due (orders complete before
      // their bindings end) but drops the store's stale deadlines, which would otherwise pile up.
      if ((++allocations & 4095) === 0) await allocator.sweep({ pool: POOL });
      const b = log.b[order]!;
      try {
        const binding = await allocator.allocate({
          pool: POOL,
          orderKey: String(order),
          a: phone(log.a[order]!),
          ...(b === NO_USER ? {} : { b: phone(b) }),
          ttlSeconds: ttlSecondsOf(log, order),
          area: { city: cityCode(log.group[order]!), match: area },
        });
        xs.set(order, binding.x);
        return "served";
      } catch (error) {
        if (error instanceof PoolExhaustedError) return "refused";
        if (error instanceof UserLimitError) return "unservable";
        throw error;
      }
    },
    async complete(order, nowMs) {
      now = nowMs;
      const { status } = await allocator.complete(String(order), POOL);
      // The platform here always answers: anything but released is a replay that went wrong.
      if (status !== "released") throw new Error(`order ${order} did not complete (${status})`);
    },
    xOf: (order) => xs.get(order),
  };
}
