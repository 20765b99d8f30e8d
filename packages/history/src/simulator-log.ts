/**
 * The platform side of a history from the local simulator (`@bindpool/simulator`): its state events, as
 * it makes each change, turned into the checker's {@link PlatformEvent}s. The simulator's records are
 * described here by their shape, not imported: the checker depends on nothing it judges, and the
 * simulator's `Simulator` fits {@link SimulatorLog} as it is.
 */
import type { BindingView, PlatformEvent } from "./events.js";

/** The part of a simulator binding record the checker reads (the simulator's `BindingRecord`). */
export interface SimulatorLogBinding extends BindingView {
  readonly appKey: string;
  readonly userData?: string | undefined;
  /** When the platform removes the binding, ms since the epoch by the simulator's clock. */
  readonly expiresAtMs?: number | undefined;
}

/** One entry of the simulator's log (its `StateEvent`); a number's status change carries no binding. */
export type SimulatorLogEvent =
  | { readonly type: "bound"; readonly binding: SimulatorLogBinding }
  | { readonly type: "modified"; readonly binding: SimulatorLogBinding }
  | {
      readonly type: "unbound";
      readonly binding: SimulatorLogBinding;
      readonly reason: "unbind" | "expired";
    }
  | { readonly type: "numberStatus" };

/** What publishes the log: a running in-process simulator (`startSimulator`'s `Simulator`). */
export interface SimulatorLog {
  /** Subscribes to every change as the simulator makes it; returns the unsubscribe function. */
  onEvent(listener: (event: SimulatorLogEvent) => void): () => void;
}

export interface SimulatorLogOptions {
  /** The app whose bindings the history covers; other apps' changes are left out. */
  readonly appKey: string;
  /**
   * The order a binding's userData names, if any (bindpool's own: `orderKeyFromUserData` of
   * `@bindpool/core`). The caller passes it because userData's format is the client's convention, not
   * the platform's.
   */
  readonly orderKeyOf: (userData: string | undefined) => string | undefined;
  /** The time a change is recorded at, ms since the epoch (default: `performance`'s wall clock). */
  readonly now?: () => number;
}

const wallClock = () => performance.timeOrigin + performance.now();

/**
 * The checker's event for one simulator log entry, or `undefined` when it is not a binding change of
 * `options.appKey`. An expiry is timed at the binding's `expiresAtMs` (when the platform let it lapse,
 * not when a sweep noticed); every other change at `options.now()`.
 */
export function platformEventOf(
  event: SimulatorLogEvent,
  options: SimulatorLogOptions,
): PlatformEvent | undefined {
  if (event.type === "numberStatus" || event.binding.appKey !== options.appKey) return undefined;
  const type: PlatformEvent["type"] =
    event.type === "bound"
      ? "bind"
      : event.type === "modified"
        ? "modify"
        : event.reason === "expired"
          ? "expire"
          : "unbind";
  // The record is the simulator's live object, changed in place by later modifies: copy it now.
  const { subscriptionId, x, a, b, userData, expiresAtMs } = event.binding;
  const timeMs = type === "expire" && expiresAtMs !== undefined ? expiresAtMs : (options.now ?? wallClock)();
  return { type, subscriptionId, x, a, b, orderKey: options.orderKeyOf(userData), timeMs };
}

/**
 * Feeds `checker` the simulator's binds, modifies, unbinds and expiries of `options.appKey` as they
 * happen (call it before the first client call, so no change is missed); returns the unsubscribe.
 * The simulator must run in the process that also feeds the client events, so a platform change is
 * recorded before the answer that reports it can reach the client side.
 */
export function watchSimulatorLog(
  sim: SimulatorLog,
  checker: { platform(event: PlatformEvent): void },
  options: SimulatorLogOptions,
): () => void {
  return sim.onEvent((event) => {
    const platformEvent = platformEventOf(event, options);
    if (platformEvent !== undefined) checker.platform(platformEvent);
  });
}
