import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OrderLog, parseLog } from "../src/plan/log.js";
import { type AreaPolicy, storePlacer } from "../src/plan/placers.js";
import { replay, timelineOf } from "../src/plan/replay.js";
import { plan, proportional } from "../src/plan/search.js";

// The search skips pools (floors, growing steps, halving): its answers must be those of trying every
// pool from 0 X up, replayed in full on the store, as the reference below does.

const T0 = Date.UTC(2026, 2, 1);
const MODES = ["AXB", "AX", "AXE"] as const;

interface Order {
  start: number;
  minutes: number;
  city: number;
  a: number;
  b: number;
}

/** Small logs with few users, so users meet on X and cities overflow onto each other's X. */
const logs = fc.record({
  mode: fc.constantFrom(...MODES),
  extensions: fc.integer({ min: 1, max: 3 }),
  serve: fc.constantFrom(100, 100, 90, 75),
  orders: fc.array(
    fc.record({
      start: fc.integer({ min: 0, max: 90 }),
      minutes: fc.integer({ min: 1, max: 40 }),
      city: fc.integer({ min: 0, max: 2 }),
      a: fc.integer({ min: 0, max: 7 }),
      b: fc.integer({ min: 0, max: 5 }),
    }),
    { minLength: 1, maxLength: 40 },
  ),
});

function logOf(mode: string, orders: readonly Order[]): OrderLog {
  const rows = orders.map((o) => {
    const start = T0 + o.start * 60_000;
    // Customers and couriers apart, so an AXB order never pairs a user with itself.
    return `${start},${start + o.minutes * 60_000},c${o.city},customer-${o.a},courier-${o.b},${mode}`;
  });
  return parseLog(["start,end,city,a,b,mode", ...rows].join("\n"), { name: "test.csv", format: "csv" });
}

/** Whether the pool `xs` (group -> X) serves `serve`% of each group's servable orders, on a full replay. */
async function serves(
  log: OrderLog,
  groups: readonly number[],
  xs: ReadonlyMap<number, number>,
  options: { area: AreaPolicy; serve: number; extensions: number },
): Promise<boolean> {
  const mode = log.groups[groups[0]!]!.mode;
  const capacity = mode === "AXE" ? options.extensions : mode === "AX" ? 1 : 5000;
  const placer = await storePlacer({ log, mode, xs, capacity, area: options.area });
  const never = new Map(groups.map((g) => [g, Number.MAX_SAFE_INTEGER]));
  const result = await replay(log, timelineOf(log, new Set(groups)), placer, never);
  return [...result.groups.values()].every(
    (o) => o.refused <= Math.floor(((o.served + o.refused) * (100 - options.serve)) / 100 + 1e-9),
  );
}

/** The smallest n from 0 up that passes. */
async function firstPassing(test: (n: number) => Promise<boolean>): Promise<number> {
  for (let n = 0; ; n++) if (await test(n)) return n;
}

describe("the plan's search", () => {
  it("finds what trying every pool from 0 X up finds, strict and ladder", async () => {
    await fc.assert(
      fc.asyncProperty(logs, async ({ mode, extensions, serve, orders }) => {
        const log = logOf(mode, orders);
        const groups = log.groups.map((_, g) => g);
        const options = { serve, extensions };

        const strict = new Map<number, number>();
        for (const g of groups) {
          const alone = (n: number) => serves(log, [g], new Map([[g, n]]), { ...options, area: "strict" });
          strict.set(g, await firstPassing(alone));
        }
        const weights = groups.map((g) => strict.get(g)!);
        const split = (t: number) => new Map(proportional(t, weights).map((n, i) => [groups[i]!, n]));
        const total = await firstPassing((t) =>
          serves(log, groups, split(t), { ...options, area: "ladder" }),
        );

        const xsOf = async (area: AreaPolicy) => {
          const p = await plan(log, { ...options, area });
          expect(p.confirmed).toBe(true);
          return new Map(p.cities.map((c) => [log.groups.findIndex((g) => g.city === c.city), c.x]));
        };
        expect(await xsOf("strict")).toEqual(strict);
        expect(await xsOf("ladder")).toEqual(split(total));
      }),
      { numRuns: 500 },
    );
  });

  it("serves a share under the ladder even where the strict counts do not", async () => {
    // One pair orders 4 times at once in c0 (75% lets 1 go: 3 X) and once in c1 (1 X). Under the ladder
    // c0's fourth order takes c1's X, so the strict 3 + 1 refuses c1's only order: c0 needs a fourth X.
    const orders = [0, 0, 0, 0, 1].map((city) => ({ start: 0, minutes: 10, city, a: 0, b: 0 }));
    const log = logOf("AXB", orders);
    const p = await plan(log, { serve: 75, area: "ladder", extensions: 200 });
    expect(p.confirmed).toBe(true);
    expect(p.cities).toMatchObject([
      { city: "c0", x: 4, served: 4, refused: 0 },
      { city: "c1", x: 1, served: 1, refused: 0 },
    ]);
  });
});
