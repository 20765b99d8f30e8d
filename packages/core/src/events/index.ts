import type { FailureKind } from "../driver/index.js";
import type { Binding, Phone } from "../model/index.js";

/** What the allocator reports. Subscribe with `allocator.on(name, listener)`. */
/** AXE: the extension behind X of the order's binding (other modes: absent). */
interface OnExtension {
  extension?: string | undefined;
}

export interface AllocatorEvents {
  /** A binding was made and confirmed. `attempts`: X numbers tried. */
  allocated: { binding: Binding; attempts: number; latencyMs: number };
  /** An order's binding was unbound and its X freed. `reason`: who ended it. */
  released: { pool: string; orderKey: string; x: Phone; reason: ReleaseReason } & OnExtension;
  /** The unbind failed; it is kept in the store and retried by the sweeper. X stays held meanwhile. */
  unbindQueued: { pool: string; orderKey: string; x: Phone; code: string; retryAtMs: number } & OnExtension;
  /** The order moved to another B (same X, platform modify) or to a new binding. */
  reassigned: { pool: string; orderKey: string; binding: Binding; via: "modify" | "rebind" };
  /** The order's end moved. */
  extended: { pool: string; orderKey: string; expiresAtMs: number };
  /**
   * After a conflict answer: a binding no order owns holds a user of the pair on X. It is kept in the store
   * as an internal `foreign` entry (`orderKey` `<foreign:subscriptionId>` in views) until it ends or the reconciler unbinds it, so its users stay
   * off X and X stays open to every other pair.
   */
  fenced: { pool: string; orderKey: string; x: Phone; subscriptionId: string };
  /** The sweeper or reconciler took over a binding found at the platform. */
  adopted: {
    pool: string;
    orderKey: string;
    x: Phone;
    subscriptionId: string;
    by: "sweeper" | "reconciler";
  } & OnExtension;
  /** The reconciler unbound a platform binding no order owns, or dropped a store entry the platform lacks. */
  reconciled: {
    pool: string;
    x: Phone;
    action: "unboundOrphan" | "droppedMissing";
    subscriptionId?: string | undefined;
  };
  /** A lease ended without a bind going through; the sweeper freed X. */
  leaseExpired: { pool: string; orderKey: string; x: Phone } & OnExtension;
  /** One platform call and its answer (kind and result code), for metrics. */
  platformCall: {
    op: "bind" | "unbind" | "modify" | "query" | "setCallee";
    kind: string;
    code: string;
    latencyMs: number;
  };
  /** AX: the holder's next call through X goes to a callee set until `expiresAtMs` (the number is not in the event). */
  calleeSet: { pool: string; orderKey: string; x: Phone; expiresAtMs: number };
  /** An attempt failed and the allocator went on: another X (exhausted, conflict, ...) or the same X later. */
  retried: { pool: string; orderKey: string; x: Phone; reason: FailureKind; code: string };
  /** AXYB: the order's YB relation was removed at the platform (`Allocator.releaseYB`); A keeps X. */
  ybReleased: { pool: string; orderKey: string; x: Phone; y: Phone };
  /** X was drained (`Allocator.drain`) and nothing is bound on it any more. */
  drained: { pool: string; x: Phone };
  /** X was taken out of service because the platform reported it abnormal. */
  quarantined: { pool: string; x: Phone; code: string; untilMs: number | undefined };
  /** The platform binding went through but the store lost the reservation; the binding was undone. */
  leaseLost: { pool: string; orderKey: string; x: Phone } & OnExtension;
  /**
   * The store lost the pool's state (`StoreLostError`: restarted without persistence, flushed, rolled
   * back) and this instance begins rebuilding it, or finds a rebuild running; calls on the pool wait.
   */
  storeLost: { pool: string; reason: "missing" | "generation" | "rollback" };
  /** The pool was rebuilt from the platform (each binding adopted, with the orderKey its userData names). */
  rebuilt: { pool: string; adopted: number; droppedMissing: number; durationMs: number };
}

/** Why an entry was released; `orphan`: a platform binding no order owned (a bind that landed after its lease). */
export type ReleaseReason =
  | "complete"
  | "cancel"
  | "expired"
  | "reassigned"
  | "sweeper"
  | "reconciler"
  | "orphan";

export type EventName = keyof AllocatorEvents;
export type Listener<K extends EventName> = (event: AllocatorEvents[K]) => void;

/**
 * A small typed event hub. A listener that throws does not break the allocation: its error is counted
 * in `listenerErrors` and handed to `onListenerError`.
 */
export class Events {
  private readonly listeners = new Map<EventName, Set<(e: never) => void>>();
  listenerErrors = 0;

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as (e: never) => void);
    return () => set.delete(listener as (e: never) => void);
  }

  emit<K extends EventName>(name: K, event: AllocatorEvents[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        this.listenerErrors++;
        this.onListenerError(error);
      }
    }
  }
}
