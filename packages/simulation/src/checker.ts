/**
 * The invariants, checked after every event of a run. Written from the platform's rules and the client's
 * view alone: nothing here comes from core but types, so a rule core gets wrong is not copied here.
 */
import type { Entry } from "@bindpool/core";

/** What the client last got for an order. */
export interface ClientBinding {
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b: string | undefined;
}

/** One order as its client sees it. */
export interface OrderRecord {
  readonly orderKey: string;
  readonly pool: string;
  readonly a: string;
  /** `live`: allocate answered ok and complete was not called yet. */
  state: "new" | "live" | "ended" | "failed";
  binding: ClientBinding | undefined;
  /** The order's own end (its TTL, without the binding's grace) as the client last heard it. */
  liveUntilMs: number;
  /** The new B of a reassign that has not answered ok yet: the platform may hold either B. */
  reassignTo: string | undefined;
  /** The store lost its data while the order was live: its entry may be rebuilt under another key. */
  storeUnsure: boolean;
  /** complete (or cancel) answered that the binding is gone (`released` or `unknown`). */
  endDone: boolean;
  /**
   * The store lost its data while this order's end was not done (its complete in flight, or answered
   * `pending` with the unbind in the outbox): the rebuild may adopt the binding again (under its
   * orderKey) until its TTL. A documented limit of data loss: a leak until the TTL, never a live order's
   * loss.
   */
  mayReturn: boolean;
}

/** A binding as the platform model holds it. */
export interface PlatformView {
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b: string | undefined;
}

export interface Violation {
  readonly kind:
    | "liveOrderUnbound"
    | "liveOrderChanged"
    | "userTwiceOnX"
    | "axRule"
    | "storeLostLiveOrder"
    | "storeDisagrees"
    | "orphanBinding"
    | "storeKeepsEndedOrder"
    | "untypedError"
    | "stuck";
  readonly message: string;
}

export interface World {
  readonly nowMs: number;
  readonly orders: Iterable<OrderRecord>;
  /** The platform's bindings by subscriptionId. */
  readonly platform: { get(subscriptionId: string): PlatformView | undefined };
  readonly platformBindings: () => Iterable<PlatformView>;
  /** The store's entries: pool -> orderKey -> entry. */
  readonly storeEntries: () => Promise<ReadonlyMap<string, ReadonlyMap<string, Entry>>>;
}

const AX_MAX_X_PER_A = 5;

/** Whether the platform binding is one the order may have now. */
function acceptable(o: OrderRecord, h: PlatformView): boolean {
  const got = o.binding!;
  if (h.subscriptionId === got.subscriptionId) {
    return (
      h.x === got.x &&
      h.a === got.a &&
      (h.b === got.b || (o.reassignTo !== undefined && h.b === o.reassignTo))
    );
  }
  // A reassign in flight may have bound a new X for the new B.
  return o.reassignTo !== undefined && h.a === o.a && h.b === o.reassignTo;
}

function isLive(o: OrderRecord, nowMs: number): boolean {
  return o.state === "live" && o.binding !== undefined && nowMs < o.liveUntilMs;
}

/** Every live order has its binding at the platform (during a reassign, the old one or the new one). */
export function checkLiveOrders(w: World): Violation | undefined {
  let all: PlatformView[] | undefined;
  for (const o of w.orders) {
    if (!isLive(o, w.nowMs)) continue;
    const got = o.binding!;
    const h = w.platform.get(got.subscriptionId);
    if (h !== undefined && acceptable(o, h)) continue;
    if (o.reassignTo !== undefined) {
      all ??= [...w.platformBindings()];
      if (all.some((p) => acceptable(o, p))) continue;
    }
    if (h === undefined) {
      return {
        kind: "liveOrderUnbound",
        message: `live order ${o.orderKey} (${got.subscriptionId} on ${got.x}, a=${got.a} b=${got.b ?? "-"}${o.reassignTo ? `, reassigning to ${o.reassignTo}` : ""}) has no binding at the platform`,
      };
    }
    return {
      kind: "liveOrderChanged",
      message: `live order ${o.orderKey} got ${got.subscriptionId} x=${got.x} a=${got.a} b=${got.b ?? "-"}${o.reassignTo ? ` (reassigning to ${o.reassignTo})` : ""}; the platform has x=${h.x} a=${h.a} b=${h.b ?? "-"}`,
    };
  }
  return undefined;
}

/** One change in the platform's own history. */
export interface PlatformChange {
  readonly kind: "bind" | "unbind" | "modify" | "expire";
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b: string | undefined;
}

/**
 * The platform's own rules, replayed over its history one change at a time: a user at most once per X;
 * AX one A per X and at most 5 X per A.
 */
export class PlatformRules {
  private readonly bindings = new Map<string, PlatformChange>();
  /** `x user` -> bindings holding the user on X. */
  private readonly held = new Map<string, number>();
  private readonly perX = new Map<string, number>();
  private readonly axPerA = new Map<string, number>();

  constructor(private readonly axNumbers: ReadonlySet<string>) {}

  apply(change: PlatformChange): Violation | undefined {
    const before = this.bindings.get(change.subscriptionId);
    if (before !== undefined) this.count(before, -1);
    if (change.kind === "unbind" || change.kind === "expire") {
      this.bindings.delete(change.subscriptionId);
      return undefined;
    }
    this.bindings.set(change.subscriptionId, change);
    return this.count(change, 1);
  }

  private count(h: PlatformChange, by: 1 | -1): Violation | undefined {
    let violation: Violation | undefined;
    for (const u of h.b === undefined ? [h.a] : [h.a, h.b]) {
      const n = (this.held.get(`${h.x} ${u}`) ?? 0) + by;
      this.held.set(`${h.x} ${u}`, n);
      if (n > 1) violation ??= { kind: "userTwiceOnX", message: `${u} is bound twice on ${h.x}` };
    }
    if (this.axNumbers.has(h.x)) {
      const onX = (this.perX.get(h.x) ?? 0) + by;
      this.perX.set(h.x, onX);
      if (onX > 1) violation ??= { kind: "axRule", message: `AX number ${h.x} has ${onX} bindings` };
      const ofA = (this.axPerA.get(h.a) ?? 0) + by;
      this.axPerA.set(h.a, ofA);
      if (ofA > AX_MAX_X_PER_A) violation ??= { kind: "axRule", message: `${h.a} holds ${ofA} AX numbers` };
    }
    return violation;
  }
}

/** The store holds each live order (no reassign in flight) as its client got it. */
export async function checkStore(w: World): Promise<Violation | undefined> {
  const entries = await w.storeEntries();
  for (const o of w.orders) {
    if (!isLive(o, w.nowMs) || o.reassignTo !== undefined || o.storeUnsure) continue;
    const got = o.binding!;
    const e = entries.get(o.pool)?.get(o.orderKey);
    if (e === undefined) {
      return { kind: "storeLostLiveOrder", message: `the store has no entry for live order ${o.orderKey}` };
    }
    if (
      e.status !== "bound" ||
      e.subscriptionId !== got.subscriptionId ||
      e.x !== got.x ||
      e.a !== got.a ||
      e.b !== got.b
    ) {
      return {
        kind: "storeDisagrees",
        message: `the store has live order ${o.orderKey} as ${e.status} ${e.subscriptionId ?? "-"} x=${e.x} b=${e.b ?? "-"}; its client got ${got.subscriptionId} x=${got.x} b=${got.b ?? "-"}`,
      };
    }
  }
  return undefined;
}

/**
 * After the final quiesce: the platform holds exactly the live orders' bindings, and the store holds no
 * entry of an order whose client ended it.
 */
export async function checkFinal(w: World): Promise<Violation | undefined> {
  // An order its client never ended may keep its binding past its TTL, through the grace the platform
  // binding has on top (the platform and the sweeper end it then): not an orphan.
  const orders = [...w.orders];
  const live = orders.filter((o) => o.state === "live" && o.binding !== undefined);
  const returned = orders.filter((o) => o.mayReturn);
  const mayHaveReturned = (h: PlatformView) =>
    returned.some((o) => (o.binding ? o.binding.subscriptionId === h.subscriptionId : o.a === h.a));
  for (const h of w.platformBindings()) {
    if (mayHaveReturned(h)) continue;
    if (!live.some((o) => acceptable(o, h))) {
      return {
        kind: "orphanBinding",
        message: `after the quiesce the platform still has ${h.subscriptionId} x=${h.x} a=${h.a} b=${h.b ?? "-"}, which no live order holds`,
      };
    }
  }
  const entries = await w.storeEntries();
  for (const o of orders) {
    if ((o.state !== "ended" && o.state !== "failed") || o.mayReturn) continue;
    const e = entries.get(o.pool)?.get(o.orderKey);
    if (e !== undefined) {
      return {
        kind: "storeKeepsEndedOrder",
        message: `after the quiesce the store still has ${e.status} entry ${o.orderKey} (${e.subscriptionId ?? "-"}) of an ended order`,
      };
    }
  }
  return undefined;
}
