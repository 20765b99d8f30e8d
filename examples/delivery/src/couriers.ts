/**
 * A food-delivery day: customers place one to three orders at once, couriers take them in runs of ten
 * or more and deliver them one stop after another, calling some customers on the way; some orders change
 * courier mid-run, and couriers hand their place to the next shift's courier. Mode-free: what the
 * platform sees is the `Dispatch`'s business.
 */
import type { Phone } from "@bindpool/core";
import type { Courier, Dispatch, Order } from "./dispatch.js";

export interface DayPlan {
  /** Couriers on the road at once (each one's place is taken by the next shift's courier). */
  readonly couriers: number;
  /** Customers; each places 1–3 orders at once. */
  readonly customers: number;
  /** Orders a courier carries in one run: uniform in [min, max]. */
  readonly batch: readonly [number, number];
  /** Runs a courier drives before the next shift takes over. */
  readonly runsPerShift: number;
  /** Share of stops where the order goes to another courier instead. */
  readonly handoverShare: number;
  /** Share of stops where the courier calls the customer (and the customer calls back). */
  readonly callShare: number;
  /** Time from one stop to the next, ms: uniform in [min, max]. */
  readonly stopMs: readonly [number, number];
  /** Called once when every courier has loaded the first run, with all of them waiting: the peak. */
  readonly atPeak?: () => Promise<void>;
  /** Called after each order is delivered or given up. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DayResult {
  readonly orders: number;
  readonly delivered: number;
  /** Orders that got no number (open failed) or could not be closed. */
  readonly undelivered: number;
  readonly handedOver: number;
  readonly shifts: number;
  readonly callsChecked: number;
  /** Calls that reached the wrong party (empty: every one was right). */
  readonly misrouted: readonly string[];
  /** Most orders one courier carried at once. */
  readonly peakCarried: number;
  /** Most customers with more than one order out at once. */
  readonly customersWithSeveral: number;
}

interface Slot {
  readonly index: number;
  courier: Courier | undefined;
  readonly carrying: Order[];
  onShift: boolean;
}

const phone = (prefix: string, i: number): Phone => `+86${prefix}${String(i).padStart(8, "0")}`;
const between = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);

/** Each customer's 1–3 orders next to each other, customers in random order. */
function placeOrders(customers: number): Order[] {
  const groups: Order[][] = [];
  let n = 0;
  for (let i = 0; i < customers; i++) {
    const r = Math.random();
    const count = r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
    groups.push(
      Array.from({ length: count }, () => ({ orderKey: `order-${n++}`, customer: phone("139", i) })),
    );
  }
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [groups[i], groups[j]] = [groups[j]!, groups[i]!];
  }
  return groups.flat();
}

/** Waits until `parties` have arrived, then runs `action` once and lets everyone go on. */
function barrier(parties: number, action: () => Promise<void>) {
  let arrived = 0;
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  return async () => {
    if (++arrived === parties) {
      try {
        await action();
      } finally {
        release();
      }
    }
    await released;
  };
}

export async function runDay(dispatch: Dispatch, plan: DayPlan): Promise<DayResult> {
  const queue = placeOrders(plan.customers);
  let next = 0;
  let done = 0;
  let delivered = 0;
  let handedOver = 0;
  let shifts = 0;
  let callsChecked = 0;
  let peakCarried = 0;
  const misrouted: string[] = [];
  const slots: Slot[] = Array.from({ length: plan.couriers }, (_, index) => ({
    index,
    courier: undefined,
    carrying: [],
    onShift: false,
  }));
  const customerOrders = new Map<Phone, number>();
  const customersWithSeveral = new Set<Phone>();
  const atPeak = barrier(plan.couriers, plan.atPeak ?? (async () => {}));
  const finished = () => plan.onProgress?.(++done, queue.length);

  const load = async (slot: Slot, courier: Courier) => {
    const want = Math.round(between(plan.batch)) - slot.carrying.length;
    for (let i = 0; i < want && next < queue.length; i++) {
      const order = queue[next++]!;
      try {
        await dispatch.open(order, courier);
      } catch {
        finished(); // counted by the ledger; the order gets no courier
        continue;
      }
      slot.carrying.push(order);
      const out = (customerOrders.get(order.customer) ?? 0) + 1;
      customerOrders.set(order.customer, out);
      if (out > 1) customersWithSeveral.add(order.customer);
    }
    peakCarried = Math.max(peakCarried, slot.carrying.length);
  };

  const stop = async (slot: Slot, courier: Courier, order: Order) => {
    await new Promise((r) => setTimeout(r, between(plan.stopMs)));
    if (Math.random() < plan.handoverShare) {
      const others = slots.filter((s) => s !== slot && s.onShift);
      const to = others[Math.floor(Math.random() * others.length)];
      if (to !== undefined) {
        to.carrying.push(order); // synchronous: `to` is on shift until its loop sees an empty load
        peakCarried = Math.max(peakCarried, to.carrying.length);
        handedOver++;
        return;
      }
    }
    if (Math.random() < plan.callShare) {
      try {
        misrouted.push(...(await dispatch.call(order, courier)));
        callsChecked++;
      } catch {
        // a refused setCallee is counted by the ledger; the courier knocks instead
      }
    }
    try {
      await dispatch.close(order, courier);
      delivered++;
    } catch {
      // counted by the ledger
    }
    customerOrders.set(order.customer, customerOrders.get(order.customer)! - 1);
    finished();
  };

  const drive = async (slot: Slot) => {
    let arrived = false;
    try {
      for (let shift = 1; next < queue.length || slot.carrying.length > 0; shift++) {
        const courier: Courier = {
          phone: phone("137", slot.index * 1_000 + shift),
          holder: `courier-${slot.index}:shift-${shift}`,
          process: `courier-${slot.index}`,
        };
        try {
          await dispatch.startShift(courier);
        } catch {
          if (shift > 3) throw new Error(`courier ${slot.index} could not start a shift`);
          continue;
        }
        shifts++;
        slot.courier = courier;
        slot.onShift = true;
        for (let run = 0; run < plan.runsPerShift; run++) {
          await load(slot, courier);
          if (!arrived) {
            arrived = true;
            await atPeak();
          }
          for (let order = slot.carrying.shift(); order; order = slot.carrying.shift()) {
            await stop(slot, courier, order);
          }
          if (next >= queue.length) break;
        }
        // Nothing carried: off shift before any await, so no order is handed to a courier going home.
        slot.onShift = false;
        await dispatch.endShift(courier);
      }
    } finally {
      if (!arrived) await atPeak();
    }
  };
  await Promise.all(slots.map(drive));
  return {
    orders: queue.length,
    delivered,
    undelivered: queue.length - delivered,
    handedOver,
    shifts,
    callsChecked,
    misrouted,
    peakCarried,
    customersWithSeveral: customersWithSeveral.size,
  };
}
