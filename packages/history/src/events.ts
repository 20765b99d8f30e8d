/**
 * The two histories the checker reads: what clients saw (each call's invoke and its ok or fail) and what
 * the platform did (its own log of binds, modifies, unbinds and expiries). Plain data, no bindpool types:
 * the checker must not share a single line with the code it judges.
 */

/** The client operations the checker understands. */
export type ClientOp = "allocate" | "reassign" | "extend" | "complete";

/** A binding as a client's answer names it, or as the platform holds it (`b` is absent in AX). */
export interface BindingView {
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b?: string | undefined;
}

/** One logical client (Jepsen's process): it has at most one call in flight, so ok and fail pair by it. */
export type ProcessId = string | number;

interface ClientEventBase {
  readonly process: ProcessId;
  readonly orderKey: string;
  /** Wall time the client saw this, in ms since the epoch (reported, not used for ordering). */
  readonly timeMs: number;
}

/** A client starts a call. */
export type ClientInvoke =
  | (ClientEventBase & {
      readonly type: "invoke";
      readonly op: "allocate";
      readonly a: string;
      readonly b?: string | undefined;
    })
  | (ClientEventBase & { readonly type: "invoke"; readonly op: "reassign"; readonly b: string })
  | (ClientEventBase & { readonly type: "invoke"; readonly op: "extend" | "complete" });

/** A call answered ok; allocate and reassign carry the binding they answered with (extend may). */
export interface ClientOk extends ClientEventBase {
  readonly type: "ok";
  readonly op: ClientOp;
  readonly binding?: BindingView | undefined;
}

/** A call failed (or its caller gave up on it): whether it took effect is unknown. */
export interface ClientFail extends ClientEventBase {
  readonly type: "fail";
  readonly op: ClientOp;
  /** The error code or message, for the report. */
  readonly error: string;
}

export type ClientEvent = ClientInvoke | ClientOk | ClientFail;

/** A change the platform made, from its own log, at the moment it made it. */
export interface PlatformEvent extends BindingView {
  readonly type: "bind" | "modify" | "unbind" | "expire";
  /** The order the binding says it belongs to (e.g. read from its userData), when known. */
  readonly orderKey?: string | undefined;
  /** Wall time of the change, in ms since the epoch (reported, not used for ordering). */
  readonly timeMs: number;
}

/** The rule a violation breaks. */
export type ViolationRule =
  /** allocate answered ok with a binding the platform does not hold (or holds on another X or pair). */
  | "allocate-ok-not-bound"
  /** allocate answered ok with another A or B than it was asked for. */
  | "allocate-ok-wrong-pair"
  /** reassign answered ok with a binding the platform does not hold with the new B at that moment. */
  | "reassign-ok-not-bound"
  /** reassign answered ok with a binding whose B is not the new B (or whose A is not the order's). */
  | "reassign-ok-wrong-pair"
  /** extend answered ok while the platform did not hold the order's binding. */
  | "extend-ok-not-bound"
  /** The platform unbound or expired the binding of an order that is live (complete not yet called). */
  | "live-binding-lost"
  /** The platform moved the binding of a live order to a pair no call of that order asked for. */
  | "live-binding-changed"
  /** One user twice on one X at the platform. */
  | "user-twice-on-x"
  /** An X carries more bindings than its capacity (AX: more than one). */
  | "x-over-capacity"
  /** After quiesce: a live order without its binding at the platform. */
  | "final-order-unbound"
  /** After quiesce: a platform binding that no live order holds. */
  | "final-orphan"
  /** After quiesce: a live order holding more than one binding. */
  | "final-duplicate"
  /** The history itself is malformed: an answer without its call, a change to a binding never bound. */
  | "history";

/** One broken rule, reported as soon as the event that breaks it arrives. */
export interface Violation {
  readonly rule: ViolationRule;
  readonly message: string;
  /** Time of the event that broke the rule, ms since the epoch. */
  readonly timeMs: number;
  readonly orderKey?: string | undefined;
  readonly subscriptionId?: string | undefined;
}
