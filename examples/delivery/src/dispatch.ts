/**
 * The two ways a delivery app masks the courier–customer calls, behind one interface the couriers use:
 *
 * - AXE: each order binds the customer behind X plus an extension; the courier dials X, then the
 *   extension; the customer's call back to X reaches whoever reached them last through it. The binding
 *   belongs to the order, so a courier change touches nothing at the platform.
 * - AX: each courier holds an X for the shift (`hold`); before each call the app sets the customer as the
 *   X's temporary callee (`setCallee`), and the customer's call to X reaches the courier. An order that
 *   changes courier is called through the new courier's X.
 *
 * Every call a courier makes is simulated and its route checked: the dialled number (X, or X plus the
 * extension) is looked up at the platform, not taken from the allocator's answer.
 */
import type { Allocator, Binding, Phone } from "@bindpool/core";
import type { Simulator } from "@bindpool/simulator";
import type { Ledger } from "./ledger.js";

export interface Courier {
  /** The courier's real number. */
  readonly phone: Phone;
  /** The key of the courier's shift (AX: the holder of its X). */
  readonly holder: string;
  /** The history checker's process: one courier does one thing at a time. */
  readonly process: string;
}

export interface Order {
  readonly orderKey: string;
  readonly customer: Phone;
}

export interface Dispatch {
  startShift(courier: Courier): Promise<void>;
  endShift(courier: Courier): Promise<void>;
  /** The order is given to its first courier. */
  open(order: Order, courier: Courier): Promise<void>;
  /** The courier calls the customer, and the customer calls back; answers what went to the wrong party. */
  call(order: Order, courier: Courier): Promise<string[]>;
  /** The order is delivered. */
  close(order: Order, courier: Courier): Promise<void>;
}

export interface DispatchContext {
  readonly allocator: Allocator;
  readonly sim: Simulator;
  readonly appKey: string;
  readonly pool: string;
  readonly ledger: Ledger;
  /** How long an order's number lives at most, s. */
  readonly orderTtlSeconds: number;
}

/** Where a simulated call went, against where it should have. */
function misrouted(what: string, call: { caller: string; called: string }, caller: Phone, called: Phone) {
  return call.caller === caller && call.called === called ? [] : [`${what} reached the wrong party`];
}

export function axeDispatch(c: DispatchContext): Dispatch {
  const bindings = new Map<string, Binding>();
  return {
    startShift: async () => {},
    endShift: async () => {},
    async open(order, courier) {
      const binding = await c.ledger.track("allocate", courier.process, order.orderKey, order.customer, () =>
        c.allocator.allocate({
          pool: c.pool,
          orderKey: order.orderKey,
          a: order.customer,
          ttlSeconds: c.orderTtlSeconds,
        }),
      );
      bindings.set(order.orderKey, binding);
    },
    async call(order, courier) {
      const { x, extension } = bindings.get(order.orderKey)!;
      // The courier's app shows "X ext. E": dial exactly that at the platform.
      const dialled = c.sim.bindings(c.appKey).find((b) => b.x === x && b.extension === extension);
      if (dialled === undefined) return [`order ${order.orderKey}: nobody behind its X and extension`];
      const out = await c.sim.simulateCall(c.appKey, {
        subscriptionId: dialled.subscriptionId,
        from: "b",
        peer: courier.phone,
      });
      const back = await c.sim.simulateCall(c.appKey, { subscriptionId: dialled.subscriptionId, from: "a" });
      return [
        ...misrouted(`order ${order.orderKey}: the courier's call`, out, courier.phone, order.customer),
        ...misrouted(`order ${order.orderKey}: the call back`, back, order.customer, courier.phone),
      ];
    },
    async close(order, courier) {
      await c.ledger.track("complete", courier.process, order.orderKey, undefined, () =>
        c.allocator.complete(order.orderKey, c.pool),
      );
      bindings.delete(order.orderKey);
    },
  };
}

export function axDispatch(c: DispatchContext): Dispatch {
  const held = new Map<string, Binding>();
  return {
    async startShift(courier) {
      const binding = await c.ledger.track("hold", courier.process, courier.holder, courier.phone, () =>
        c.allocator.hold({ pool: c.pool, holder: courier.holder, a: courier.phone }),
      );
      held.set(courier.holder, binding);
    },
    async endShift(courier) {
      await c.ledger.track("complete", courier.process, courier.holder, undefined, () =>
        c.allocator.complete(courier.holder, c.pool),
      );
      held.delete(courier.holder);
    },
    open: async () => {},
    async call(order, courier) {
      const { x } = held.get(courier.holder)!;
      await c.ledger.track("setCallee", courier.process, courier.holder, undefined, () =>
        c.allocator.setCallee(courier.holder, { callee: order.customer, ttlSeconds: 120 }, c.pool),
      );
      // The courier dials the own X; the customer dials the X the courier's call showed.
      const dialled = c.sim.bindings(c.appKey).find((b) => b.x === x);
      if (dialled === undefined) return [`courier ${courier.holder}: nobody holds its X`];
      const out = await c.sim.simulateCall(c.appKey, { subscriptionId: dialled.subscriptionId, from: "a" });
      const back = await c.sim.simulateCall(c.appKey, {
        subscriptionId: dialled.subscriptionId,
        from: "b",
        peer: order.customer,
      });
      return [
        ...misrouted(`order ${order.orderKey}: the courier's call`, out, courier.phone, order.customer),
        ...misrouted(`order ${order.orderKey}: the call back`, back, order.customer, courier.phone),
      ];
    },
    close: async () => {},
  };
}
