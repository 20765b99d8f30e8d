import { type Allocator, type Phone, type Store, ValidationError } from "@bindpool/core";
import {
  createNotificationHandler,
  type NotificationHandler,
  type NotificationHandlerOptions,
} from "../notifications/handler.js";
import type { CallNotification, NotificationEvent } from "../notifications/schemas.js";
import {
  defaultXModeAnswer,
  type XModeAnswerBody,
  type XModeCallSettings,
  type XModeCloseReason,
  type XModeDecision,
} from "./answer.js";
import { RouteIndex, type RouteIndexStats } from "./route-index.js";

export interface XModeRouterOptions extends Omit<NotificationHandlerOptions, "onEvent">, XModeCallSettings {
  /** The allocator whose orders the calls belong to (an `XModeDriver` on `AXB` pools). */
  readonly allocator: Allocator;
  /** The store that allocator uses; read in full only to fill this process's route index (see README). */
  readonly store: Store;
  /** The pools whose X numbers this router answers for. @default every pool of the allocator */
  readonly pools?: readonly string[];
  /**
   * Read the store again when a caller is not in this process's index, before closing the call. Keep it on
   * when several instances allocate in one store (another instance's order is found); turn it off when
   * this allocator is the only one writing its pools (its events keep the index complete).
   * @default true
   */
  readonly refreshOnMiss?: boolean;
  /**
   * Renders a decision into the Block answer body (the field names are unconfirmed, §15 item 9).
   * @default defaultXModeAnswer (doc form: connectInfo / closeInfo objects)
   */
  readonly answerBody?: XModeAnswerBody;
  /** Every other push (call events after `callin`, CDRs, X status) goes here, e.g. `notificationsToAllocator`. */
  readonly onEvent?: (event: NotificationEvent) => void | Promise<void>;
  /** Told when the store could not be read for a call (that call is closed) or a listener threw; must not throw. */
  readonly onRouteError?: (error: unknown) => void;
  /** Told about each call, after the decision (for logs and metrics; numbers are not masked). */
  readonly onDecision?: (decision: XModeDecision, call: CallNotification) => void;
  /**
   * Clock for order expiry, ms since the epoch: the allocator's `clock`. (`now` is the wall clock of the
   * signature window.)
   * @default Date.now
   */
  readonly clock?: () => number;
}

export interface XModeRouterStats extends RouteIndexStats {
  readonly connected: number;
  /** Store reads that failed and listener errors (`onRouteError` was told). */
  readonly routeErrors: number;
  readonly closed: Readonly<Partial<Record<XModeCloseReason, number>>>;
}

/** A notification handler that also answers X-mode `callin` pushes (Block mode) from the store. */
export interface XModeRouter extends Omit<NotificationHandler, "stats"> {
  /** The decision for a call from `caller` to `x`, without HTTP. */
  decide(x: Phone, caller: Phone): Promise<XModeDecision>;
  stats(): XModeRouterStats & { readonly notifications: ReturnType<NotificationHandler["stats"]> };
  /** Stops following the allocator's events. */
  close(): void;
}

/**
 * X mode (§8): the platform keeps no bindings and asks the app, per call to X, where to connect it (a
 * `callin` push in Block mode). This router answers from the allocator's orders: caller A of an order on
 * X is connected to its B, B to A; any other caller, or an order not bound (or past its time), is closed.
 * Pushes are verified and parsed by `createNotificationHandler`; other events go to `onEvent`.
 */
export function createXModeRouter(options: XModeRouterOptions): XModeRouter {
  const { allocator, store, onEvent, onDecision } = options;
  const pools = options.pools ?? allocator.poolIds;
  if (pools.length === 0) throw new ValidationError("pools must name at least one pool");
  for (const p of pools) {
    if (!allocator.poolIds.includes(p))
      throw new ValidationError(`pool "${p}" is not one of the allocator's`);
  }
  validateSettings(options);
  const clock = options.clock ?? Date.now;
  const render = options.answerBody ?? defaultXModeAnswer;
  let connected = 0;
  const closed: Partial<Record<XModeCloseReason, number>> = {};
  let routeErrors = 0;
  const errors = (error: unknown) => {
    routeErrors++;
    try {
      options.onRouteError?.(error);
    } catch {
      // onRouteError must not throw; the error is counted in stats().routeErrors.
    }
  };
  const index = new RouteIndex(allocator, store, pools, options.refreshOnMiss ?? true, errors);

  async function decide(x: Phone, caller: Phone): Promise<XModeDecision> {
    const close = (reason: XModeCloseReason): XModeDecision => {
      closed[reason] = (closed[reason] ?? 0) + 1;
      return { operation: "close", x, reason };
    };
    let found: Awaited<ReturnType<RouteIndex["find"]>>;
    try {
      found = await index.find(x, caller);
    } catch (error) {
      errors(error);
      return close("error");
    }
    if (!found.found) return close(found.reason);
    const { entry, pool } = found;
    if (entry.status !== "bound") return close("notBound");
    if (entry.untilMs <= clock()) return close("expired");
    const callee = entry.a === caller ? entry.b : entry.a;
    if (callee === undefined) return close("notBound");
    connected++;
    return { operation: "connect", x, callee, pool, orderKey: entry.orderKey };
  }

  const handler = createNotificationHandler({
    ...options,
    onEvent: (event) => (isCallin(event) ? undefined : onEvent?.(event)),
    respond: async (event) => {
      if (!isCallin(event)) return undefined;
      if (event.called === undefined || event.caller === undefined) {
        // Nothing to route by: end the call rather than guess.
        closed.unknownCaller = (closed.unknownCaller ?? 0) + 1;
        return answer({ operation: "close", x: event.called ?? "", reason: "unknownCaller" }, event);
      }
      return answer(await decide(event.called, event.caller), event);
    },
  });

  function answer(decision: XModeDecision, call: CallNotification): string {
    try {
      onDecision?.(decision, call);
    } catch (error) {
      errors(error);
    }
    return JSON.stringify(render(decision, options));
  }

  return {
    node: handler.node,
    fetch: handler.fetch,
    handle: handler.handle,
    decide,
    stats: () => ({
      ...index.stats(),
      connected,
      routeErrors,
      closed: { ...closed },
      notifications: handler.stats(),
    }),
    close: () => index.close(),
  };
}

function isCallin(event: NotificationEvent): event is CallNotification {
  return event.type === "call" && event.event === "callin";
}

function validateSettings(s: XModeCallSettings): void {
  const m = s.maxDurationMinutes;
  if (m !== undefined && !(Number.isInteger(m) && m >= 0 && m <= 1440)) {
    throw new ValidationError(`maxDurationMinutes must be an integer from 0 to 1440 (got ${String(m)})`);
  }
  for (const key of ["recordHintTone", "waitVoice", "lastMinVoice", "closeTone"] as const) {
    const v = s[key];
    // Tone files: the platform allows digits, letters and - _ . @ only (§4.1).
    if (v !== undefined && !/^[A-Za-z0-9_.@-]{1,128}$/.test(v)) {
      throw new ValidationError(`${key} must be an approved tone file name (got ${JSON.stringify(v)})`);
    }
  }
}
