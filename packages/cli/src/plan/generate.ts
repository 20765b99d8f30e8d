/**
 * A made-up order log like a food-delivery month: lunch and dinner peaks, orders of 15-60 minutes,
 * couriers carrying several orders at once (about 8 at the peak) and customers ordering now and then.
 * Seeded, so a seed and the options give the same log everywhere.
 */
import { seededRandom } from "@bindpool/core";
import type { LogFormat, PlanMode } from "./log.js";

export interface GenerateOptions {
  readonly orders: number;
  readonly days: number;
  /** City labels with relative weights. */
  readonly cities: readonly { readonly city: string; readonly weight: number }[];
  readonly mode: PlanMode;
  readonly format: LogFormat;
  /** First day, ms since the epoch (midnight UTC). */
  readonly fromMs: number;
  readonly seed: number;
}

/** Orders per hour of the day (UTC), relative: quiet nights, lunch and dinner rushes. */
const HOURLY = [
  0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.7, 0.9, 1.6, 2.2, 1.4, 0.8, 0.7, 0.8, 1.2, 2.0, 2.2, 1.5,
  1.0, 0.7, 0.4,
];
const MIN_MINUTES = 15;
const MAX_MINUTES = 60;
/** Open orders per courier at the busiest hour, on average. */
const COURIER_LOAD = 8;
/** Most open orders a courier carries (AX: the platform's 5 X per A). */
const COURIER_MOST = { AXB: 15, AXE: 15, AX: 5 } as const;
/** Couriers looked at for an order before taking the least busy of them. */
const COURIER_TRIES = 8;
/** Orders per customer over the log, on average. */
const ORDERS_PER_CUSTOMER = 15;
const HOUR_MS = 3_600_000;

/** Index drawn with probability proportional to its weight. */
function picker(weights: readonly number[], rnd: () => number): () => number {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  const cumulative = weights.map((w) => (sum += w / total));
  return () => {
    const r = rnd();
    const i = cumulative.findIndex((c) => r < c);
    return i === -1 ? weights.length - 1 : i;
  };
}

/** Writes the log (header first for CSV), in chunks, sorted by start. */
export function generateLog(options: GenerateOptions, write: (chunk: string) => void): void {
  const { orders, days, cities, mode, format, fromMs } = options;
  const rnd = seededRandom(options.seed);
  const cityOf = picker(
    cities.map((c) => c.weight),
    rnd,
  );
  const hourOf = picker(HOURLY, rnd);
  const start = new Float64Array(orders);
  const end = new Float64Array(orders);
  const city = new Uint16Array(orders);
  const perCity = new Array<number>(cities.length).fill(0);
  for (let i = 0; i < orders; i++) {
    const c = cityOf();
    city[i] = c;
    perCity[c]!++;
    const day = Math.floor(rnd() * days);
    start[i] = fromMs + day * 24 * HOUR_MS + hourOf() * HOUR_MS + Math.floor(rnd() * HOUR_MS);
    end[i] = start[i]! + Math.round((MIN_MINUTES + rnd() * (MAX_MINUTES - MIN_MINUTES)) * 60_000);
  }
  // Couriers per city so that the busiest hour keeps each busy with about COURIER_LOAD orders.
  const peakShare = Math.max(...HOURLY) / HOURLY.reduce((a, b) => a + b, 0);
  const openHours = (MIN_MINUTES + MAX_MINUTES) / 2 / 60;
  const couriers = perCity.map((n) =>
    Math.max(1, Math.round(((n / days) * peakShare * openHours) / COURIER_LOAD)),
  );
  const customers = perCity.map((n) => Math.max(2, Math.round(n / ORDERS_PER_CUSTOMER)));
  const byStart = Uint32Array.from({ length: orders }, (_, i) => i).sort(
    (i, j) => start[i]! - start[j]! || i - j,
  );

  const user = (kind: "5" | "3", c: number, id: number) =>
    `+861${kind}${String(c).padStart(2, "0")}${String(id).padStart(7, "0")}`;
  // Per courier, the end times of its open orders: a courier takes an order only under its most.
  const open = couriers.map((n) => Array.from({ length: n }, (): number[] => []));
  const courierFor = (c: number, fromMs: number, toMs: number): number => {
    let best = -1;
    let bestOpen = Number.POSITIVE_INFINITY;
    for (let t = 0; t < COURIER_TRIES && bestOpen >= COURIER_MOST[mode]; t++) {
      const id = Math.floor(rnd() * couriers[c]!);
      const ends = open[c]![id]!.filter((e) => e > fromMs);
      open[c]![id] = ends;
      if (ends.length < bestOpen) {
        best = id;
        bestOpen = ends.length;
      }
    }
    open[c]![best]!.push(toMs);
    return best;
  };
  let chunk = format === "csv" ? "start,end,city,a,b,mode\n" : "";
  for (let k = 0; k < orders; k++) {
    const i = byStart[k]!;
    const c = city[i]!;
    const courier = user("5", c, courierFor(c, start[i]!, end[i]!));
    const customer = user("3", c, Math.floor(rnd() * customers[c]!));
    // AXB binds the customer with the courier; AX gives the courier an X; AXE the customer an extension.
    const a = mode === "AX" ? courier : customer;
    const b = mode === "AXB" ? courier : "";
    const from = new Date(start[i]!).toISOString();
    const to = new Date(end[i]!).toISOString();
    const label = cities[c]!.city;
    chunk +=
      format === "csv"
        ? `${from},${to},${label},${a},${b},${mode}\n`
        : `${JSON.stringify({ start: from, end: to, city: label, a, ...(b ? { b } : {}), mode })}\n`;
    if ((k & 8191) === 8191) {
      write(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") write(chunk);
}
