import {
  type BindRequest,
  type CalleeRequest,
  type FailureKind,
  MAX_CALLEE_SECONDS,
  type ModifyRequest,
  type Outcome,
  type PlatformDriver,
  type QueryRequest,
  type QueryResult,
  type UnbindRequest,
  ValidationError,
} from "@bindpool/core";
import { bindAx, modifyAx, queryAx, setCalleeAx, unbindAx } from "./ax.js";
import { bindAxb, modifyAxb, queryAxb, unbindAxb } from "./axb.js";
import { AXE_CURSOR_RE, type AxeOptions, bindAxe, modifyAxe, queryAxe, unbindAxe } from "./axe.js";
import { AXYB_DEFAULT_FIELDS, bindAxyb, queryAxyb, unbindAxyb, validAxybDuration } from "./axyb.js";
import {
  type NoRecording,
  type RecordingRequest,
  recordingFields,
  recordingOfCdr,
  recordingUrl,
  stopCall,
} from "./call-control.js";
import { type HuaweiDriverOptions, parseDriverOptions } from "./driver-options.js";
import { PlatformClient } from "./http.js";
import type { FeeRecord } from "./notifications/schemas.js";

/** Counters of one driver, for observability. */
export interface HuaweiDriverStats {
  /** HTTP requests sent (answered or not). */
  readonly requests: number;
  /** Outcomes the driver returned, by kind (`ok`, `exhausted`, ...). */
  readonly byKind: Record<string, number>;
  /** Answers by platform result code (`0`, `1012010`, ...) or local code (`TIMEOUT`, `HTTP_502`, ...). */
  readonly byCode: Record<string, number>;
}

/**
 * Huawei Cloud PrivateNumber driver for AXB, AX and AXE apps. Signs every request (AKSK or WSSE), bounds it
 * by `timeoutMs`, limits concurrency and requests per second, and maps every answer to an `Outcome`;
 * it throws only for programmer errors (`ValidationError`).
 */
export class HuaweiDriver implements PlatformDriver {
  readonly #client: PlatformClient;
  readonly #byKind = new Map<string, number>();
  readonly #axe: AxeOptions;
  readonly #bindFields: Readonly<Record<string, unknown>>;
  readonly #axyb: Parameters<typeof bindAxyb>[0];

  constructor(options: HuaweiDriverOptions) {
    const o = parseDriverOptions(options);
    this.#axe = o.axe ?? {};
    this.#client = new PlatformClient({
      baseUrl: o.baseUrl,
      appKey: o.appKey,
      appSecret: o.appSecret,
      auth: o.auth,
      timeoutMs: o.timeoutMs,
      concurrency: o.concurrency,
      requestsPerSecond: o.requestsPerSecond,
      limiter: o.limiter,
      fetch: o.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      now: o.now ?? Date.now,
    });
    this.#bindFields = recordingFields(o.recording);

    const fields = { ...AXYB_DEFAULT_FIELDS, ...o.axyb?.fields };
    if (new Set(Object.values(fields)).size !== 4) {
      throw new ValidationError(
        `Invalid HuaweiDriver options: axyb.fields must name four different fields (got ${JSON.stringify(fields)})`,
      );
    }
    this.#axyb = {
      client: this.#client,
      appKey: o.appKey,
      fields,
      ybDurationSeconds: o.axyb?.ybDurationSeconds ?? 0,
    };
  }

  /**
   * Binds (x, a, b) for AXB (lifetime `durationSeconds`, 0: permanent), (x, a) for AX (never expires), or
   * a behind (x, extension) for AXE (lifetime sent in whole minutes, rounded up; no extension: the
   * platform picks one); AXYB binds A to x and B to y. Answers the AXE extension bound.
   */
  async bind(
    req: BindRequest,
  ): Promise<Outcome<{ subscriptionId: string; x: string; extension?: string; y?: string }>> {
    if (req.mode !== "AXE" && req.extension !== undefined)
      throw new ValidationError(`Only AXE binds take an extension (mode ${req.mode}).`);
    if (req.mode === "AXYB") {
      if (req.b === undefined || req.y === undefined) {
        throw new ValidationError("An AXYB bind needs a B number and a Y number (req.b, req.y).");
      }
      if (!validAxybDuration(req.durationSeconds)) {
        throw new ValidationError(
          `An AXYB durationSeconds must be 0 or 60-7776000 (got ${JSON.stringify(req.durationSeconds)}).`,
        );
      }
      return this.#count(await bindAxyb(this.#axyb, { ...req, b: req.b, y: req.y }));
    }
    if (req.mode === "AXE") {
      if (req.b !== undefined)
        throw new ValidationError(`An AXE bind takes no B number (got b ${JSON.stringify(req.b)}).`);
      if (req.extension !== undefined) requireExtension(req.extension);
      if (!Number.isInteger(req.durationSeconds) || req.durationSeconds < 0)
        throw new ValidationError(
          `durationSeconds must be a whole number from 0 (got ${JSON.stringify(req.durationSeconds)}).`,
        );
      return this.#count(await bindAxe(this.#client, this.#axe, req, this.#bindFields));
    }
    if (req.mode === "AXB") {
      if (req.b === undefined) throw new ValidationError("An AXB bind needs a B number (req.b).");
      return this.#count(await bindAxb(this.#client, { ...req, b: req.b }, this.#bindFields));
    }
    if (req.b !== undefined)
      throw new ValidationError(`An AX bind takes no B number (got b ${JSON.stringify(req.b)}).`);
    return this.#count(await bindAx(this.#client, req, this.#bindFields));
  }

  /**
   * Removes one binding by `subscriptionId` (never by X, which would remove all of X's bindings); AXYB
   * with `yb`: only the YB relation.
   */
  async unbind(req: UnbindRequest): Promise<Outcome<void>> {
    requireSubscriptionId(req.subscriptionId);
    if (req.yb !== undefined && req.mode !== "AXYB") {
      throw new ValidationError("Only AXYB bindings have a YB relation to remove on its own.");
    }
    if (req.mode === "AXYB") return this.#count(await unbindAxyb(this.#axyb, req.subscriptionId, req.yb));
    const outcome =
      req.mode === "AXB"
        ? await unbindAxb(this.#client, req.subscriptionId)
        : req.mode === "AXE"
          ? await unbindAxe(this.#client, req.subscriptionId)
          : await unbindAx(this.#client, req.subscriptionId);
    return this.#count(outcome);
  }

  /**
   * Changes A, B or (AXB, AXE) the lifetime in seconds, counted from now; absent fields stay as they are.
   * AXE changes only the lifetime (whole minutes, rounded up).
   */
  async modify(req: ModifyRequest): Promise<Outcome<void>> {
    requireSubscriptionId(req.subscriptionId);
    if (req.mode === "AXYB") throw new ValidationError("The platform has no AXYB modify API.");
    if (req.mode === "AXB") return this.#count(await modifyAxb(this.#client, req));
    if (req.mode === "AXE") {
      const seconds = req.durationSeconds;
      if (req.a !== undefined || req.b !== undefined || seconds === undefined)
        throw new ValidationError(
          "An AXE modify changes only the lifetime: AXE bindings have no B and keep A.",
        );
      if (!Number.isInteger(seconds) || seconds < 0)
        throw new ValidationError(
          `durationSeconds must be a whole number from 0 (got ${JSON.stringify(seconds)}).`,
        );
      return this.#count(
        await modifyAxe(this.#client, this.#axe, {
          subscriptionId: req.subscriptionId,
          durationSeconds: seconds,
        }),
      );
    }
    if (req.b !== undefined || req.durationSeconds !== undefined) {
      throw new ValidationError("An AX modify can change only A: AX bindings have no B and no lifetime.");
    }
    return this.#count(await modifyAx(this.#client, req));
  }

  /**
   * Lists bindings by `subscriptionId` or by X (with A and/or B; AXE: the one behind `extension`, or a
   * page after `cursor`, with `nextCursor` while more follow); "nothing found" is ok with no bindings.
   */
  async query(req: QueryRequest): Promise<Outcome<QueryResult>> {
    if (req.mode === "AXE") return this.#count(await queryAxe(this.#client, checkAxeQuery(req)));
    if ("subscriptionId" in req) requireSubscriptionId(req.subscriptionId);
    else if (req.page !== undefined && !(Number.isInteger(req.page) && req.page >= 1)) {
      throw new ValidationError(
        `query page must be a whole number from 1 (got ${JSON.stringify(req.page)}).`,
      );
    }
    if (req.mode === "AXB") return this.#count(await queryAxb(this.#client, req));
    // AXYB: by subscriptionId, or every binding on X (the listing is not narrowed by A or B).
    if (req.mode === "AXYB") return this.#count(await queryAxyb(this.#axyb, req));
    if (!("subscriptionId" in req) && req.b !== undefined) {
      throw new ValidationError("An AX query takes no B number.");
    }
    return this.#count(await queryAx(this.#client, req));
  }

  /** AX: sets the number A's next call through X reaches (the temporary callee), for `durationSeconds`. */
  async setCallee(req: CalleeRequest): Promise<Outcome<void>> {
    requireSubscriptionId(req.subscriptionId);
    if (req.mode !== "AX") throw new ValidationError("A temporary callee is set on AX bindings only.");
    const seconds = req.durationSeconds;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_CALLEE_SECONDS) {
      throw new ValidationError(
        `A callee's durationSeconds must be an integer from 1 to ${MAX_CALLEE_SECONDS} (got ${JSON.stringify(seconds)}).`,
      );
    }
    return this.#count(await setCalleeAx(this.#client, req));
  }

  /** Requests sent, outcomes by kind and answers by code since the driver was created. */
  stats(): HuaweiDriverStats {
    const client = this.#client.stats();
    return { requests: client.requests, byKind: Object.fromEntries(this.#byKind), byCode: client.byCode };
  }

  /**
   * The download address of a recording (§12.1), from the redirect the platform answers, which is never
   * followed. "Record does not exist" (7 days after the CDR) is `notFound`.
   */
  async recordingUrl(req: RecordingRequest): Promise<Outcome<{ url: string }>> {
    for (const field of ["fileName", "recordDomain"] as const) {
      const value: unknown = req[field];
      if (typeof value !== "string" || value.length < 1 || value.length > 128) {
        throw new ValidationError(`${field} must be 1-128 characters (got ${JSON.stringify(value)}).`);
      }
    }
    return this.#count(await recordingUrl(this.#client, req));
  }

  /**
   * The download address of a CDR's recording: asked with its `recordObjectName` and `recordDomain`, or
   * its `recordFileDownloadUrl` when the domain is empty; `noRecording` when it names none.
   */
  async recordingUrlForCdr(record: FeeRecord): Promise<Outcome<{ url: string }> | NoRecording> {
    const recording = recordingOfCdr(record);
    if (recording === undefined) return { kind: "noRecording" };
    if ("url" in recording) return { kind: "ok", value: { url: recording.url } };
    return this.recordingUrl(recording.request);
  }

  /** Ends a call by the `sessionId` of its call events (§12.2); an unknown or ended session is `notFound`. */
  async stopCall(sessionId: string): Promise<Outcome<void>> {
    if (typeof sessionId !== "string" || sessionId.length < 1 || sessionId.length > 256) {
      throw new ValidationError(`sessionId must be 1-256 characters (got ${JSON.stringify(sessionId)}).`);
    }
    return this.#count(await stopCall(this.#client, sessionId));
  }

  #count<T>(outcome: Outcome<T>): Outcome<T> {
    const kind: FailureKind | "ok" = outcome.kind;
    this.#byKind.set(kind, (this.#byKind.get(kind) ?? 0) + 1);
    return outcome;
  }
}

function requireExtension(extension: string): void {
  if (typeof extension !== "string" || !/^\d{1,4}$/.test(extension) || !/[1-9]/.test(extension))
    throw new ValidationError(
      `An extension is 1-4 digits, not all zeros (got ${JSON.stringify(extension)}).`,
    );
}

/** An AXE query as the platform takes it: no B, no page number, a well-formed cursor and extension. */
function checkAxeQuery(req: QueryRequest): Parameters<typeof queryAxe>[1] {
  if ("subscriptionId" in req) {
    requireSubscriptionId(req.subscriptionId);
    return { subscriptionId: req.subscriptionId };
  }
  if (req.b !== undefined) throw new ValidationError("An AXE query takes no B number.");
  if (req.page !== undefined)
    throw new ValidationError("AXE listings are paged by cursor (nextCursor), not by page number.");
  if (req.extension !== undefined) requireExtension(req.extension);
  if (req.cursor !== undefined && !AXE_CURSOR_RE.test(req.cursor))
    throw new ValidationError(`An AXE cursor matches \\d{13}_\\d{1,20} (got ${JSON.stringify(req.cursor)}).`);
  return { x: req.x, a: req.a, extension: req.extension, cursor: req.cursor };
}

function requireSubscriptionId(subscriptionId: string): void {
  if (typeof subscriptionId !== "string" || subscriptionId.length < 1 || subscriptionId.length > 64) {
    throw new ValidationError(
      `subscriptionId must be 1-64 characters (got ${JSON.stringify(subscriptionId)}).`,
    );
  }
}
