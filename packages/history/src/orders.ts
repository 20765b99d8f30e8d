import type { BindingView } from "./events.js";
import type { PlatformBinding, PlatformModel } from "./platform.js";

/**
 * Where an order is in its life: `live` from allocate's ok until complete is called; after that,
 * `completing` (complete in flight), `completed` (it answered ok) or `completeFailed` (unknown outcome).
 */
export type Phase = "none" | "live" | "completing" | "completed" | "completeFailed";

export interface OrderState {
  readonly orderKey: string;
  phase: Phase;
  /** The binding the last ok named, or the one that took its place while a reassign was unconfirmed. */
  held?: BindingView;
  /** The B values an unanswered or failed reassign may have moved the order to; non-empty = unsure. */
  readonly maybeB: Set<string>;
  /** Sequence number of the last complete call (0: never). */
  completeSeq: number;
  /** The order lost its binding and that was reported; the final check does not report it again. */
  lost: boolean;
}

/** The orders of the client history, and which live order holds which subscriptionId. */
export class OrderBook {
  private readonly orders = new Map<string, OrderState>();
  /** subscriptionId -> the live order holding it. */
  private readonly holder = new Map<string, OrderState>();

  constructor(private readonly model: PlatformModel) {}

  /** The order, created (phase `none`) on first sight. */
  get(orderKey: string): OrderState {
    let order = this.orders.get(orderKey);
    if (order === undefined) {
      order = { orderKey, phase: "none", maybeB: new Set(), completeSeq: 0, lost: false };
      this.orders.set(orderKey, order);
    }
    return order;
  }

  /** The order, if the client history named it. */
  find(orderKey: string): OrderState | undefined {
    return this.orders.get(orderKey);
  }

  all(): IterableIterator<OrderState> {
    return this.orders.values();
  }

  /** The live order holding a subscriptionId, if any. */
  holderOf(subscriptionId: string): OrderState | undefined {
    return this.holder.get(subscriptionId);
  }

  /** Records the binding an order holds; only a live order's binding is watched for loss. */
  setHeld(order: OrderState, binding: BindingView | undefined, live: boolean): void {
    if (order.held !== undefined && this.holder.get(order.held.subscriptionId) === order) {
      this.holder.delete(order.held.subscriptionId);
    }
    if (binding === undefined) return;
    order.held = { subscriptionId: binding.subscriptionId, x: binding.x, a: binding.a, b: binding.b };
    if (live) {
      this.holder.set(binding.subscriptionId, order);
      order.lost = false;
    }
  }

  /** Stops watching a subscriptionId (the platform removed it). */
  forget(subscriptionId: string): void {
    this.holder.delete(subscriptionId);
  }

  /** The platform bindings that may be the order's now: its held one, or, while unsure, a reassigned one. */
  holdings(order: OrderState): PlatformBinding[] {
    const held = order.held;
    if (held === undefined) return [];
    const exact = this.model.get(held.subscriptionId);
    const out = exact !== undefined && samePlace(exact, held) ? [exact] : [];
    if (order.maybeB.size === 0) return out;
    const bs = new Set(order.maybeB);
    if (held.b !== undefined) bs.add(held.b);
    for (const c of this.model.candidates(order.orderKey, held.a, bs)) {
      if (c.subscriptionId !== held.subscriptionId) out.push(c);
    }
    return out;
  }
}

/** Same X and pair. */
export function samePlace(a: BindingView, b: BindingView): boolean {
  return a.x === b.x && a.a === b.a && a.b === b.b;
}
