import { randomBytes } from "node:crypto";
import type {
  BindRequest,
  ModifyRequest,
  Outcome,
  Phone,
  PlatformDriver,
  QueryRequest,
  QueryResult,
  UnbindRequest,
} from "@bindpool/core";

export interface XModeDriverOptions {
  /**
   * Makes the local id of each binding. Inject for deterministic runs.
   * @default "xm-" + 24 random hex characters
   */
  readonly newSubscriptionId?: () => string;
}

/** What `query` by subscriptionId answers: the platform keeps no record it could look up. */
export const XMODE_NO_RECORD = "XMODE_NO_RECORD";

const EMPTY: Outcome<QueryResult> = { kind: "ok", value: { bindings: [], total: 0 } };

/**
 * The platform driver of an X-mode app (§8): the platform keeps no bindings and asks the app per call, so
 * a bind is a local step that always succeeds and the store's entry is the only record of the pair. Use
 * it for an `AXB` pool whose calls the X-mode router answers: an allocation reserves and confirms in the
 * store without any platform call.
 *
 * Queries answer what the platform holds, which is nothing: listings and pair lookups are empty (a lapsed
 * reservation is freed, a rebuilt pool starts empty). Only a lookup by subscriptionId answers
 * `unknown` (`XMODE_NO_RECORD`) instead: an empty answer there would make the reconciler drop every
 * bound order as "gone from the platform".
 */
export class XModeDriver implements PlatformDriver {
  private readonly newId: () => string;

  constructor(options: XModeDriverOptions = {}) {
    this.newId = options.newSubscriptionId ?? (() => `xm-${randomBytes(12).toString("hex")}`);
  }

  async bind(req: BindRequest): Promise<Outcome<{ subscriptionId: string; x: Phone }>> {
    if (req.mode !== "AXB" || req.b === undefined) {
      return {
        kind: "modeMismatch",
        code: "XMODE_AXB_ONLY",
        message: `the X-mode router connects pairs: use an AXB pool (got ${req.mode})`,
      };
    }
    return { kind: "ok", value: { subscriptionId: this.newId(), x: req.x } };
  }

  /** Nothing to remove at the platform: the store's release ends routing. */
  async unbind(_req: UnbindRequest): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }

  /** A new B takes effect through the store (the router reads it per call). */
  async modify(_req: ModifyRequest): Promise<Outcome<void>> {
    return { kind: "ok", value: undefined };
  }

  async query(req: QueryRequest): Promise<Outcome<QueryResult>> {
    if ("subscriptionId" in req) {
      return {
        kind: "unknown",
        code: XMODE_NO_RECORD,
        message: "X mode keeps no binding at the platform; the store is the only record",
      };
    }
    return EMPTY;
  }
}
