import type {
  BindingView,
  ClientEvent,
  ClientInvoke,
  ClientOk,
  ClientOp,
  PlatformEvent,
  ProcessId,
  Violation,
  ViolationRule,
} from "./events.js";
import { OrderBook, type OrderState, samePlace } from "./orders.js";
import { type PlatformBinding, PlatformModel, type PlatformProblem } from "./platform.js";

/** Options of {@link HistoryChecker}. */
export interface HistoryCheckerOptions {
  /** Called with each violation as soon as the event that breaks a rule arrives. */
  readonly onViolation?: (violation: Violation) => void;
  /** Most bindings one X may carry at the platform (1 for AX). @default Infinity */
  readonly capacityPerX?: number;
}

/** What the checker has seen so far. */
export interface CheckerCounts {
  readonly clientEvents: number;
  readonly platformEvents: number;
  readonly invoked: Readonly<Record<ClientOp, number>>;
  readonly ok: Readonly<Record<ClientOp, number>>;
  readonly failed: Readonly<Record<ClientOp, number>>;
  readonly platform: Readonly<Record<PlatformEvent["type"], number>>;
  /** Orders live now: allocate answered ok, complete not called since. */
  readonly liveOrders: number;
  /** Bindings the platform holds now. */
  readonly platformBindings: number;
  /** Most bindings seen on one X at once. */
  readonly maxBindingsOnOneX: number;
  /** Violations so far, by rule (rules never broken are left out). */
  readonly violations: Readonly<Partial<Record<ViolationRule, number>>>;
}

interface InFlight {
  readonly invoke: ClientInvoke;
  readonly seq: number;
}

const zeroOps = (): Record<ClientOp, number> => ({ allocate: 0, reassign: 0, extend: 0, complete: 0 });

/**
 * An independent checker of a run's history (Jepsen's method). Feed it every client event and every
 * platform event, in the order one observer saw them happen (a platform change when the platform made
 * it, a client's ok when the client received it): a client's ok is then always seen after the platform
 * change it reports. It checks each event against the platform's rules and the orders' promises as it
 * arrives, and {@link finish} checks the quiet state at the end.
 *
 * The promise checked: while an order is live (allocate answered ok, complete not yet called), the
 * platform holds a binding for it with that X, A and B. While a reassign is unanswered (or failed), the
 * binding with the old B or one with the new B will do.
 */
export class HistoryChecker {
  private readonly model: PlatformModel;
  private readonly orders: OrderBook;
  private readonly inFlight = new Map<ProcessId, InFlight>();
  private readonly found: Violation[] = [];
  private seq = 0;
  private finished = false;
  private clientEvents = 0;
  private platformEvents = 0;
  private readonly invoked = zeroOps();
  private readonly oks = zeroOps();
  private readonly fails = zeroOps();
  private readonly platformCounts: Record<PlatformEvent["type"], number> = {
    bind: 0,
    modify: 0,
    unbind: 0,
    expire: 0,
  };

  constructor(private readonly options: HistoryCheckerOptions = {}) {
    this.model = new PlatformModel(options.capacityPerX ?? Number.POSITIVE_INFINITY);
    this.orders = new OrderBook(this.model);
  }

  /** Every violation found so far, in the order found. */
  get violations(): readonly Violation[] {
    return this.found;
  }

  /** Records a client's invoke, ok or fail. */
  client(event: ClientEvent): void {
    this.open();
    this.clientEvents++;
    if (event.type === "invoke") {
      this.onInvoke(event);
      return;
    }
    const call = this.inFlight.get(event.process);
    if (call === undefined || call.invoke.op !== event.op || call.invoke.orderKey !== event.orderKey) {
      this.report(
        "history",
        event.timeMs,
        event.orderKey,
        undefined,
        `${event.op} ${event.type} without its call`,
      );
      return;
    }
    this.inFlight.delete(event.process);
    const order = this.orders.get(event.orderKey);
    if (event.type === "fail") {
      this.fails[event.op]++;
      if (event.op === "complete" && order.phase === "completing" && order.completeSeq === call.seq) {
        order.phase = "completeFailed";
      }
      return;
    }
    this.oks[event.op]++;
    if (event.op === "allocate") this.onAllocateOk(order, call, event);
    else if (event.op === "reassign") this.onReassignOk(order, call, event);
    else if (event.op === "extend") this.onExtendOk(order, event);
    else if (order.phase === "completing" && order.completeSeq === call.seq) order.phase = "completed";
  }

  /** Records a change the platform made. */
  platform(event: PlatformEvent): void {
    this.open();
    this.platformEvents++;
    this.platformCounts[event.type]++;
    const binding: PlatformBinding = {
      subscriptionId: event.subscriptionId,
      x: event.x,
      a: event.a,
      b: event.b,
      orderKey: event.orderKey,
    };
    if (event.type === "bind") {
      this.reportAll(this.model.bind(binding), event);
    } else if (event.type === "modify") {
      const { before, problems } = this.model.modify(binding);
      this.reportAll(problems, event);
      if (before !== undefined) this.onModified(before, event);
    } else {
      const removed = this.model.remove(event.subscriptionId);
      if (removed === undefined) {
        this.reportAll([{ rule: "history", message: `${event.type} of a binding that is not bound` }], event);
      } else {
        this.onRemoved(removed, event);
      }
    }
  }

  /**
   * The final check, once the run is quiet (no faults, leases over, the sweeper and reconciler ran): every
   * live order holds its binding, and every platform binding belongs to a live order. Returns every
   * violation found during the run and now; the checker takes no events after it.
   */
  finish(timeMs: number = Date.now()): readonly Violation[] {
    this.open();
    this.finished = true;
    const owned = new Set<string>();
    for (const order of this.orders.all()) {
      const orderKey = order.orderKey;
      if (order.held === undefined) continue;
      if (order.phase === "completing" || order.phase === "completeFailed") {
        owned.add(order.held.subscriptionId); // complete's outcome is unknown: bound or not will do
        continue;
      }
      if (order.phase !== "live") continue;
      const holding = this.orders.holdings(order);
      for (const b of holding) owned.add(b.subscriptionId);
      if (order.lost) continue;
      if (holding.length === 0) {
        this.report(
          "final-order-unbound",
          timeMs,
          orderKey,
          order.held.subscriptionId,
          `live order ${orderKey} has no binding at the platform with its X and pair at the end`,
        );
      } else if (holding.length > 1) {
        this.report(
          "final-duplicate",
          timeMs,
          orderKey,
          undefined,
          `live order ${orderKey} holds ${holding.length} bindings at the end`,
        );
      }
    }
    for (const b of this.model.all()) {
      if (owned.has(b.subscriptionId)) continue;
      const phase = b.orderKey === undefined ? undefined : this.orders.find(b.orderKey)?.phase;
      const whose =
        b.orderKey === undefined ? "no order" : `order ${b.orderKey} (${phase ?? "never called"})`;
      this.report(
        "final-orphan",
        timeMs,
        b.orderKey,
        b.subscriptionId,
        `the platform still holds ${b.subscriptionId} on ${b.x} at the end, of ${whose}`,
      );
    }
    return this.found;
  }

  /** What the checker has seen so far. */
  counts(): CheckerCounts {
    let liveOrders = 0;
    for (const order of this.orders.all()) if (order.phase === "live") liveOrders++;
    const violations: Partial<Record<ViolationRule, number>> = {};
    for (const v of this.found) violations[v.rule] = (violations[v.rule] ?? 0) + 1;
    return {
      clientEvents: this.clientEvents,
      platformEvents: this.platformEvents,
      invoked: { ...this.invoked },
      ok: { ...this.oks },
      failed: { ...this.fails },
      platform: { ...this.platformCounts },
      liveOrders,
      platformBindings: this.model.size,
      maxBindingsOnOneX: this.model.maxOnOneX,
      violations,
    };
  }

  // ---- client -------------------------------------------------------------------------------

  private onInvoke(event: ClientInvoke): void {
    this.invoked[event.op]++;
    const running = this.inFlight.get(event.process);
    if (running !== undefined) {
      this.report(
        "history",
        event.timeMs,
        event.orderKey,
        undefined,
        `process ${event.process} called ${event.op} while its ${running.invoke.op} of ${running.invoke.orderKey} ran`,
      );
    }
    const seq = ++this.seq;
    this.inFlight.set(event.process, { invoke: event, seq });
    const order = this.orders.get(event.orderKey);
    if (event.op === "reassign" && order.phase === "live") order.maybeB.add(event.b);
    if (event.op === "complete") {
      // From here on the order is not live: an unbind of its binding is what the caller asked for.
      this.orders.setHeld(order, order.held, false);
      order.phase = "completing";
      order.completeSeq = seq;
    }
  }

  private onAllocateOk(order: OrderState, call: InFlight, event: ClientOk): void {
    const binding = event.binding;
    if (binding === undefined || call.invoke.op !== "allocate") {
      this.report("history", event.timeMs, event.orderKey, undefined, "allocate ok without a binding");
      return;
    }
    const asked = call.invoke;
    if (binding.a !== asked.a || (asked.b !== undefined && binding.b !== asked.b)) {
      this.report(
        "allocate-ok-wrong-pair",
        event.timeMs,
        event.orderKey,
        binding.subscriptionId,
        `allocate of ${event.orderKey} answered ok with another pair than it asked for`,
      );
    }
    this.checkBound("allocate-ok-not-bound", event, binding);
    // A complete called while this allocate ran comes after it: the order is not live.
    if (order.completeSeq > call.seq) return;
    order.phase = "live";
    this.orders.setHeld(order, binding, true);
    this.resetMaybeB(order);
  }

  private onReassignOk(order: OrderState, call: InFlight, event: ClientOk): void {
    const binding = event.binding;
    if (binding === undefined || call.invoke.op !== "reassign") {
      this.report("history", event.timeMs, event.orderKey, undefined, "reassign ok without a binding");
      return;
    }
    if (binding.b !== call.invoke.b || (order.held !== undefined && binding.a !== order.held.a)) {
      this.report(
        "reassign-ok-wrong-pair",
        event.timeMs,
        event.orderKey,
        binding.subscriptionId,
        `reassign of ${event.orderKey} answered ok with a binding that does not have the new B`,
      );
    }
    this.checkBound("reassign-ok-not-bound", event, binding);
    if (order.phase !== "live") return;
    this.orders.setHeld(order, binding, true);
    this.resetMaybeB(order);
  }

  private onExtendOk(order: OrderState, event: ClientOk): void {
    if (order.phase !== "live" || order.held === undefined) return;
    if (event.binding !== undefined) this.checkBound("extend-ok-not-bound", event, event.binding);
    else if (this.orders.holdings(order).length === 0) {
      this.report(
        "extend-ok-not-bound",
        event.timeMs,
        event.orderKey,
        order.held.subscriptionId,
        `extend of ${event.orderKey} answered ok while the platform held no binding of it`,
      );
    }
  }

  /** The binding an ok names must be at the platform, with that X and pair, when the ok arrives. */
  private checkBound(rule: ViolationRule, event: ClientOk, binding: BindingView): void {
    const atPlatform = this.model.get(binding.subscriptionId);
    if (atPlatform !== undefined && samePlace(atPlatform, binding)) return;
    const what =
      atPlatform === undefined ? "which the platform does not hold" : "which the platform holds otherwise";
    this.report(
      rule,
      event.timeMs,
      event.orderKey,
      binding.subscriptionId,
      `${event.op} of ${event.orderKey} answered ok with ${binding.subscriptionId} on ${binding.x}, ${what}`,
    );
  }

  // ---- platform -----------------------------------------------------------------------------

  private onModified(before: PlatformBinding, event: PlatformEvent): void {
    const order = this.orders.holderOf(event.subscriptionId);
    if (order === undefined) return;
    const orderKey = order.orderKey;
    const held = order.held!;
    if (event.a === held.a && event.b === held.b) return;
    if (event.a === held.a && event.b !== undefined && order.maybeB.has(event.b)) {
      // An unconfirmed reassign moved it: the new pair is the order's until an answer says otherwise.
      this.orders.setHeld(order, { ...held, b: event.b }, true);
      if (held.b !== undefined) order.maybeB.add(held.b);
      return;
    }
    this.report(
      "live-binding-changed",
      event.timeMs,
      orderKey,
      event.subscriptionId,
      `the platform changed ${event.subscriptionId} of live order ${orderKey} on ${before.x} to a pair no call asked for`,
    );
  }

  private onRemoved(removed: PlatformBinding, event: PlatformEvent): void {
    const order = this.orders.holderOf(removed.subscriptionId);
    if (order === undefined) return;
    const orderKey = order.orderKey;
    this.orders.forget(removed.subscriptionId);
    if (order.maybeB.size > 0) {
      // A reassign that binds another X unbinds the old binding once the new one is made.
      const next = this.orders.holdings(order)[0];
      if (next !== undefined) {
        this.orders.setHeld(order, next, true);
        return;
      }
    }
    order.lost = true;
    const how = event.type === "expire" ? "expired" : "unbound";
    this.report(
      "live-binding-lost",
      event.timeMs,
      orderKey,
      removed.subscriptionId,
      `the platform ${how} ${removed.subscriptionId} on ${removed.x}, the binding of live order ${orderKey}`,
    );
  }

  // ---- orders -------------------------------------------------------------------------------

  /** After an ok names the order's binding, only reassigns still running leave it unsure. */
  private resetMaybeB(order: OrderState): void {
    order.maybeB.clear();
    for (const { invoke } of this.inFlight.values()) {
      if (invoke.op === "reassign" && invoke.orderKey === order.orderKey) order.maybeB.add(invoke.b);
    }
  }

  // ---- reporting ----------------------------------------------------------------------------

  private reportAll(problems: readonly PlatformProblem[], event: PlatformEvent): void {
    for (const p of problems)
      this.report(p.rule, event.timeMs, event.orderKey, event.subscriptionId, p.message);
  }

  private report(
    rule: ViolationRule,
    timeMs: number,
    orderKey: string | undefined,
    subscriptionId: string | undefined,
    message: string,
  ): void {
    const violation: Violation = { rule, message, timeMs, orderKey, subscriptionId };
    this.found.push(violation);
    this.options.onViolation?.(violation);
  }

  private open(): void {
    if (this.finished) throw new Error("the history checker has finished: it takes no more events");
  }
}
