import type { Mode, Phone } from "../model/index.js";

/** Normalised kinds of platform answers. Every documented result code maps to one of these. */
export type FailureKind =
  | "exhausted" // no room on that X or no idle X (1012008, 1012009, 1011002, 1020167)
  | "conflict" // a number is already bound on that X (1012010, 1011005)
  | "numberAbnormal" // X unusable: blacklisted, not this app's, status abnormal (1012102, 1011001, 1012001)
  | "userLimit" // AX: the A already holds the most X allowed (1011003)
  | "notFound" // no such binding (1012007, 1016001)
  | "rateLimited" // platform flow control (1010010)
  | "auth" // bad credentials or app state (1010003, 1010008, 1020150, 1023006, ...)
  | "modeMismatch" // the app is of another mode (1010040)
  | "invalidParam" // the request is malformed (1010002)
  | "transient" // platform-side error, retry with backoff (1010001, 1020002, 1023001, HTTP 5xx)
  | "timeout" // no answer in time: the outcome is unknown
  | "unknown"; // an undocumented code

export type Outcome<T> =
  | { readonly kind: "ok"; readonly value: T }
  | { readonly kind: FailureKind; readonly code: string; readonly message: string };

export type Failure = Exclude<Outcome<never>, { kind: "ok" }>;

/** One binding as the platform reports it. */
export interface PlatformBinding {
  readonly subscriptionId: string;
  readonly x: Phone;
  readonly a: Phone;
  readonly b?: Phone | undefined;
  /** AXE: the extension behind X that reaches A (digits, as the platform writes it, e.g. `0042`). */
  readonly extension?: string | undefined;
  /** AXYB: B's privacy number (A calls it to reach B); absent once the YB relation is gone. */
  readonly y?: Phone | undefined;
  /** Lifetime in seconds (0: permanent), when the platform reports it. */
  readonly durationSeconds?: number | undefined;
  /** When the binding was made (ms since the epoch), when the platform reports it. */
  readonly boundAtMs?: number | undefined;
  readonly userData?: string | undefined;
}

export interface BindRequest {
  readonly mode: Mode;
  readonly x: Phone;
  readonly a: Phone;
  readonly b?: Phone | undefined;
  /** AXE: the extension behind X to bind A to (the store picked it; digits as X's extension length). */
  readonly extension?: string | undefined;
  /** AXYB: the number to bind B to (A calls it to reach B); `x` is A's (B calls it to reach A). */
  readonly y?: Phone | undefined;
  /** Binding lifetime in seconds; the platform removes the binding after it. */
  readonly durationSeconds: number;
  readonly userData?: string | undefined;
}

export interface UnbindRequest {
  readonly mode: Mode;
  readonly subscriptionId: string;
  /**
   * AXYB: remove only the YB relation (B behind Y), named by `y` (wins) or `b`; A's relation on X stays.
   * Absent: the whole binding.
   */
  readonly yb?: { readonly y: Phone } | { readonly b: Phone } | undefined;
}

export interface ModifyRequest {
  readonly mode: Mode;
  readonly subscriptionId: string;
  readonly a?: Phone | undefined;
  readonly b?: Phone | undefined;
  readonly durationSeconds?: number | undefined;
}

/** AX: the number A's next call through X reaches (the platform's temporary callee). */
export interface CalleeRequest {
  readonly mode: Mode;
  readonly subscriptionId: string;
  readonly x: Phone;
  /** The real number A's next call through X connects to; not A itself. */
  readonly callee: Phone;
  /** How long the callee stays set, seconds (the platform allows 1 to 259 200). */
  readonly durationSeconds: number;
}

/** The longest a temporary callee may stay set, seconds (3 days). */
export const MAX_CALLEE_SECONDS = 259_200;

export type QueryRequest =
  | {
      readonly mode: Mode;
      readonly x: Phone;
      readonly a?: Phone;
      readonly b?: Phone;
      /** AXE: the one binding behind (X, extension). */
      readonly extension?: string;
      /** Page-numbered listings (AXB, AX): the page, from 1. */
      readonly page?: number;
      /** Cursor-paged listings (AXE): the `nextCursor` of the previous page; absent for the first. */
      readonly cursor?: string;
    }
  | { readonly mode: Mode; readonly subscriptionId: string };

export interface QueryResult {
  readonly bindings: readonly PlatformBinding[];
  /**
   * Total bindings matching the query over all pages. A cursor-paged listing that cannot say reports the
   * bindings of this page; follow `nextCursor` instead.
   */
  readonly total: number;
  /** Cursor-paged listings (AXE): present when more bindings follow; pass it as `cursor` to read them. */
  readonly nextCursor?: string | undefined;
}

/** A telecom platform's binding API, normalised. Drivers never throw for platform answers; they return outcomes. */
export interface PlatformDriver {
  /**
   * AXE drivers answer the extension the platform bound (the request's, when it named one); AXYB drivers
   * the Y (the request's: the platform's answer names one number only).
   */
  bind(
    req: BindRequest,
  ): Promise<Outcome<{ subscriptionId: string; x: Phone; extension?: string; y?: Phone }>>;
  unbind(req: UnbindRequest): Promise<Outcome<void>>;
  modify(req: ModifyRequest): Promise<Outcome<void>>;
  query(req: QueryRequest): Promise<Outcome<QueryResult>>;
  /** AX: sets the temporary callee of a binding; a new one replaces the last. Optional: AX drivers have it. */
  setCallee?(req: CalleeRequest): Promise<Outcome<void>>;
}

/**
 * Extra length of a rate window, ms: a limiter of N requests per second lets N go per 1 000 + this many
 * ms. The platform counts arrivals, not send times: network jitter or a busy event loop can move a
 * request sent late in one second into the next, and the margin keeps that from adding up to more than
 * N arrivals in a second. The Huawei driver's local window and the Redis limiter both use it.
 */
export const RATE_WINDOW_MARGIN_MS = 20;

/**
 * A rate budget shared by every process that uses one platform app key (the platform's flow control is
 * per app key). `take` resolves when one more request may be sent. The Redis package ships a GCRA one.
 */
export interface RateLimiter {
  take(): Promise<void>;
}
