import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "@bindpool/core";
import { type PushHeaders, verifyPushAuth } from "../push-auth.js";
import { NotificationError, type NotificationErrorCode } from "./errors.js";
import { MemoryNonceStore, type NonceStore } from "./nonces.js";
import { parseNotification } from "./parse.js";
import { readNodeBody, readStreamBody } from "./request-body.js";
import type { NotificationEvent } from "./schemas.js";

export interface NotificationHandlerOptions {
  /** The app's APP_Key; pushes signed for another app are rejected. */
  readonly appKey: string;
  /** The app's APP_Secret, the key of the push signature. */
  readonly appSecret: string;
  /**
   * Largest accepted distance between the push's `Created` and now, in seconds, either way.
   * @default 900
   */
  readonly createdWindowSeconds?: number;
  /**
   * Reject a push whose nonce was already accepted within the window.
   * @default true
   */
  readonly replayProtection?: boolean;
  /**
   * Where accepted nonces are kept for the window. Share one store between every instance that receives
   * pushes (`RedisNonceStore` from `@bindpool/redis`), or a push replayed to another instance is accepted.
   * @default new MemoryNonceStore() (this process only)
   */
  readonly nonceStore?: NonceStore;
  /**
   * How long a push's nonce is held while it is handled (until `onEvent` and `respond` are done), in
   * seconds; then for the rest of the window. If the instance dies meanwhile, the platform's retry with
   * the same headers is taken once this has passed. Keep it above your slowest `onEvent` and below the
   * platform's first retry (60 s).
   * @default 30
   */
  readonly handlingHoldSeconds?: number;
  /**
   * Largest accepted body, in bytes.
   * @default 1_048_576
   */
  readonly maxBodyBytes?: number;
  /** Receives every accepted event. Throw or reject to have the push answered 500 (the platform retries). */
  readonly onEvent: (event: NotificationEvent) => void | Promise<void>;
  /**
   * Block mode (the X-mode `callin`): the JSON body to answer an event with once `onEvent` took it
   * (HTTP 200); `undefined` for the Notify answer, 200 with an empty body. Throwing is as for `onEvent`.
   */
  readonly respond?: (event: NotificationEvent) => string | undefined | Promise<string | undefined>;
  /** Told about every push not delivered to `onEvent` (log it); must not throw. */
  readonly onError?: (error: NotificationError) => void;
  /**
   * Clock for the `Created` window and nonce expiry, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** One push as any framework hands it over. */
export interface NotificationInput {
  readonly headers: PushHeaders;
  readonly body: string;
}

/** What the handler answered, and why. */
export interface NotificationResult {
  /** HTTP status: 200 for delivered (and unknown) events. */
  readonly status: number;
  /** Response body: on 200 empty (Notify mode) or what `respond` gave (Block mode), `{"code","message"}` JSON otherwise. */
  readonly body: string;
  /** The event delivered to `onEvent`. */
  readonly event?: NotificationEvent;
  readonly error?: NotificationError;
}

export interface NotificationStats {
  /** Pushes handled. */
  readonly received: number;
  /** Events `onEvent` accepted. */
  readonly delivered: number;
  /** Pushes not delivered, by error code. */
  readonly byCode: Readonly<Partial<Record<NotificationErrorCode, number>>>;
  /** Times `onError` itself threw (the error was then dropped). */
  readonly onErrorFailures: number;
}

export interface NotificationHandler {
  /** `node:http` form: `http.createServer(handler.node)` or as an Express/Koa-raw route. Never rejects. */
  node(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Fetch form for Hono, Next.js route handlers, Bun, Deno, workers. Never rejects. */
  fetch(request: Request): Promise<Response>;
  /** Framework-free form over headers and the raw body text (verify the raw text, not a re-serialised object). */
  handle(input: NotificationInput): Promise<NotificationResult>;
  stats(): NotificationStats;
}

const DEFAULT_CREATED_WINDOW_SECONDS = 900;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_HANDLING_HOLD_SECONDS = 30;
const ERROR_HEADERS = { "Content-Type": "application/json; charset=utf-8" } as const;

/**
 * A handler for the platform's pushes (call events, CDRs, X number status): verifies the AKSK/WSSE
 * signature, the `Created` window and the nonce, parses the body, and hands a typed event to `onEvent`.
 * Answers 200 with an empty body when done, so the platform stops retrying.
 */
export function createNotificationHandler(options: NotificationHandlerOptions): NotificationHandler {
  const { appKey, appSecret, onEvent, onError } = options;
  const windowSeconds = options.createdWindowSeconds ?? DEFAULT_CREATED_WINDOW_SECONDS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = options.now ?? Date.now;
  const holdMs = (options.handlingHoldSeconds ?? DEFAULT_HANDLING_HOLD_SECONDS) * 1000;
  validate(options, windowSeconds, maxBodyBytes);
  const nonces =
    options.replayProtection === false ? undefined : (options.nonceStore ?? new MemoryNonceStore());
  let received = 0;
  let delivered = 0;
  let onErrorFailures = 0;
  const byCode: Partial<Record<NotificationErrorCode, number>> = {};

  function report(error: NotificationError): void {
    byCode[error.code] = (byCode[error.code] ?? 0) + 1;
    try {
      onError?.(error);
    } catch {
      onErrorFailures++;
    }
  }

  /** Counts a nonce store failure that does not change the answer. */
  function storeFailed(error: unknown, what: string): void {
    report(
      new NotificationError(
        "BINDPOOL_NOTIFY_NONCE_STORE_FAILED",
        `the nonce of a push ${what}: ${reasonOf(error)}`,
        {
          cause: error,
        },
      ),
    );
  }

  function rejected(error: NotificationError): NotificationResult {
    report(error);
    const body = error.httpStatus === 200 ? "" : JSON.stringify({ code: error.code, message: error.message });
    return { status: error.httpStatus, body, error };
  }

  async function handle(input: NotificationInput): Promise<NotificationResult> {
    received++;
    if (Buffer.byteLength(input.body, "utf8") > maxBodyBytes) return rejected(tooLarge(maxBodyBytes));
    const nowMs = now();
    const auth = verifyPushAuth(input.headers, {
      appKey,
      appSecret,
      createdWindowSeconds: windowSeconds,
      nowMs,
    });
    if (!auth.ok) {
      const code = auth.reason === "staleCreated" ? "BINDPOOL_NOTIFY_STALE" : "BINDPOOL_NOTIFY_BAD_SIGNATURE";
      return rejected(new NotificationError(code, `${auth.reason}: ${auth.message}`));
    }
    const windowEndMs = auth.createdMs + windowSeconds * 1000;
    if (nonces !== undefined) {
      // A short hold first: an instance that dies while handling must not lock the platform's retry out.
      const holdUntilMs = Math.min(windowEndMs, nowMs + holdMs);
      const refused = await checkNonce(nonces, auth.nonce, holdUntilMs, nowMs);
      if (refused !== undefined) return rejected(refused);
    }
    /** The push is done with (handled, or refused for its body): its nonce is spent for the window. */
    const spend = () =>
      nonces
        ?.hold(auth.nonce, windowEndMs, now())
        .catch((error: unknown) =>
          storeFailed(error, "could not be held for the rest of the window, so a replay may get through"),
        );
    const parsed = parseNotification(input.body);
    if (!parsed.ok) {
      await spend();
      return rejected(parsed.error);
    }
    let answer: string | undefined;
    try {
      await onEvent(parsed.event);
      answer = await options.respond?.(parsed.event);
    } catch (cause) {
      // The platform's retry may carry the same headers: let it in.
      await nonces
        ?.forget(auth.nonce)
        .catch((error: unknown) =>
          storeFailed(
            error,
            "could not be forgotten, so a retry with the same headers is refused for a while",
          ),
        );
      return rejected(
        new NotificationError(
          "BINDPOOL_NOTIFY_LISTENER_FAILED",
          `onEvent failed for a ${parsed.event.type} event: ${reasonOf(cause)}`,
          {
            cause,
          },
        ),
      );
    }
    await spend();
    delivered++;
    return { status: 200, body: answer ?? "", event: parsed.event };
  }

  function early(code: NotificationErrorCode, message: string): NotificationResult {
    received++;
    return rejected(new NotificationError(code, message));
  }

  async function node(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      let result: NotificationResult;
      if (req.method !== "POST") {
        req.resume();
        result = early("BINDPOOL_NOTIFY_BAD_METHOD", `method ${String(req.method)} is not POST`);
      } else {
        const body = await readNodeBody(req, maxBodyBytes);
        if (body === undefined) {
          result = early("BINDPOOL_NOTIFY_TOO_LARGE", tooLarge(maxBodyBytes).message);
          res.setHeader("Connection", "close");
        } else {
          result = await handle({ headers: req.headers, body });
        }
      }
      if (res.headersSent || res.destroyed) return;
      res.writeHead(result.status, result.body === "" ? {} : ERROR_HEADERS);
      res.end(result.body);
    } catch {
      // The client went away mid-body (or the socket broke): nobody is left to answer.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(400);
        res.end();
      }
    }
  }

  async function fetchForm(request: Request): Promise<Response> {
    let result: NotificationResult;
    if (request.method !== "POST") {
      result = early("BINDPOOL_NOTIFY_BAD_METHOD", `method ${request.method} is not POST`);
    } else {
      const body = await readStreamBody(request, maxBodyBytes).catch(() => null);
      if (body === null) {
        result = early("BINDPOOL_NOTIFY_MALFORMED", "the request body could not be read");
      } else if (body === undefined) {
        result = early("BINDPOOL_NOTIFY_TOO_LARGE", tooLarge(maxBodyBytes).message);
      } else {
        result = await handle({ headers: request.headers, body });
      }
    }
    return new Response(result.body === "" ? null : result.body, {
      status: result.status,
      headers: result.body === "" ? {} : ERROR_HEADERS,
    });
  }

  return {
    node,
    fetch: fetchForm,
    handle,
    stats: () => ({ received, delivered, byCode: { ...byCode }, onErrorFailures }),
  };
}

function validate(options: NotificationHandlerOptions, windowSeconds: number, maxBodyBytes: number): void {
  if (typeof options.appKey !== "string" || options.appKey === "") {
    throw new ValidationError("appKey must be a non-empty string");
  }
  if (typeof options.appSecret !== "string" || options.appSecret === "") {
    throw new ValidationError("appSecret must be a non-empty string");
  }
  if (typeof options.onEvent !== "function") throw new ValidationError("onEvent must be a function");
  if (options.respond !== undefined && typeof options.respond !== "function") {
    throw new ValidationError("respond must be a function");
  }
  const store = options.nonceStore;
  if (
    store !== undefined &&
    !["remember", "hold", "forget"].every((m) => typeof store?.[m as "hold"] === "function")
  ) {
    throw new ValidationError("nonceStore must have remember, hold and forget methods (a NonceStore)");
  }
  const holdSeconds = options.handlingHoldSeconds ?? DEFAULT_HANDLING_HOLD_SECONDS;
  if (!(Number.isFinite(holdSeconds) && holdSeconds > 0)) {
    throw new ValidationError(`handlingHoldSeconds must be a finite number > 0 (got ${String(holdSeconds)})`);
  }
  if (!(Number.isFinite(windowSeconds) && windowSeconds >= 0)) {
    throw new ValidationError(
      `createdWindowSeconds must be a finite number >= 0 (got ${String(windowSeconds)})`,
    );
  }
  if (!(Number.isSafeInteger(maxBodyBytes) && maxBodyBytes > 0)) {
    throw new ValidationError(`maxBodyBytes must be a positive integer (got ${String(maxBodyBytes)})`);
  }
}

/**
 * Records the nonce; the error to answer when it is a replay, or when the store could not tell (fail
 * closed: a push is never applied unchecked, and the 503 has the platform retry it later).
 */
async function checkNonce(
  nonces: NonceStore,
  nonce: string,
  expiresAtMs: number,
  nowMs: number,
): Promise<NotificationError | undefined> {
  let first: unknown;
  try {
    first = await nonces.remember(nonce, expiresAtMs, nowMs);
  } catch (cause) {
    return new NotificationError(
      "BINDPOOL_NOTIFY_NONCE_STORE_FAILED",
      `the nonce store failed, so the push was refused unchecked: ${reasonOf(cause)}`,
      { cause },
    );
  }
  if (first === true) return undefined;
  if (first === false) {
    return new NotificationError(
      "BINDPOOL_NOTIFY_REPLAYED",
      "the nonce of this push was already accepted within the window",
    );
  }
  return new NotificationError(
    "BINDPOOL_NOTIFY_NONCE_STORE_FAILED",
    `the nonce store answered ${typeof first}, not a boolean, so the push was refused unchecked`,
  );
}

function reasonOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function tooLarge(maxBodyBytes: number): NotificationError {
  return new NotificationError("BINDPOOL_NOTIFY_TOO_LARGE", `the body is larger than ${maxBodyBytes} bytes`);
}
