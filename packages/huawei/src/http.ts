import { type Failure, RATE_WINDOW_MARGIN_MS, type RateLimiter } from "@bindpool/core";
import PQueue from "p-queue";
import { z } from "zod";
import { type AuthScheme, authHeaders, formatCreated, newNonce } from "./auth.js";
import { classifyAnswer, classifyStatus, RESULT_CODES } from "./codes.js";

/** Codes the driver reports when the platform gave no result code. */
export const LOCAL_CODES = {
  /** No complete answer within `timeoutMs`; the request may or may not have taken effect. */
  timeout: "TIMEOUT",
  /** The answer was not the JSON the platform documents. */
  malformed: "MALFORMED_RESPONSE",
  /** The connection failed without a more specific error code. */
  network: "NETWORK_ERROR",
} as const;

export interface PlatformRequest {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** URI below the base URL, e.g. `/rest/caas/relationnumber/partners/v1.0`. */
  readonly path: string;
  /** URL parameters (GET, DELETE); undefined values are left out, `+` is sent as `%2B`. */
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** JSON body (POST, PUT); undefined values are left out. */
  readonly body?: Readonly<Record<string, unknown>>;
  /**
   * The platform answers success with a redirect whose `Location` is the result (the recording URL,
   * §12.1): a 3xx with `Location` is `ok` with `location` set. Redirects are never followed.
   */
  readonly answersWithRedirect?: boolean;
}

/**
 * A platform answer: the parsed JSON body on `resultcode "0"` (and, for a request that
 * `answersWithRedirect`, the absolute `Location` of the redirect), otherwise a classified failure.
 */
export type Answer =
  | { readonly kind: "ok"; readonly body: Readonly<Record<string, unknown>>; readonly location?: string }
  | Failure;

export interface PlatformClientOptions {
  readonly baseUrl: string;
  readonly appKey: string;
  readonly appSecret: string;
  readonly auth: AuthScheme;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly limiter?: RateLimiter | undefined;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

const EnvelopeSchema = z.looseObject({
  resultcode: z.union([z.string(), z.number()]).transform(String),
  resultdesc: z.string().optional(),
});

/**
 * Sends signed requests to one platform app: at most `concurrency` at once and `requestsPerSecond` per
 * rolling second (plus `RATE_WINDOW_MARGIN_MS`) from this process, each after the shared limiter (if
 * any) lets it through, each bounded by `timeoutMs`. Never throws for what the platform (or the network) answers.
 */
export class PlatformClient {
  readonly #options: PlatformClientOptions;
  readonly #queue: PQueue;
  #requests = 0;
  readonly #byCode = new Map<string, number>();

  constructor(options: PlatformClientOptions) {
    this.#options = options;
    this.#queue = Number.isFinite(options.requestsPerSecond)
      ? new PQueue({
          concurrency: options.concurrency,
          intervalCap: options.requestsPerSecond,
          interval: 1000 + RATE_WINDOW_MARGIN_MS,
          strict: true,
        })
      : new PQueue({ concurrency: options.concurrency });
  }

  /** Requests sent so far and the codes they got (platform result codes or `LOCAL_CODES`/`HTTP_<status>`). */
  stats(): { requests: number; byCode: Record<string, number> } {
    return { requests: this.#requests, byCode: Object.fromEntries(this.#byCode) };
  }

  /** Sends one request once the queue and the shared limiter allow it. */
  send(request: PlatformRequest): Promise<Answer> {
    return this.#queue.add(async () => {
      await this.#options.limiter?.take();
      const answer = await this.#exchange(request);
      this.#requests += 1;
      const code = answer.kind === "ok" ? "0" : answer.code;
      this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + 1);
      return answer;
    });
  }

  async #exchange(request: PlatformRequest): Promise<Answer> {
    const { baseUrl, appKey, appSecret, auth, timeoutMs } = this.#options;
    const url = new URL(baseUrl + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers = {
      "Content-Type": "application/json;charset=UTF-8",
      Accept: "application/json",
      ...authHeaders(auth, { appKey, appSecret }, newNonce(), formatCreated(this.#options.now())),
    };
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    let location: string | null;
    try {
      const response = await this.#options.fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
        redirect: "manual",
      });
      status = response.status;
      location = response.headers.get("location");
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        return failure("timeout", LOCAL_CODES.timeout, `no complete answer within ${timeoutMs} ms`);
      }
      const code = networkCode(error);
      return failure("transient", code, `request failed: ${describe(error)}`);
    }
    if (request.answersWithRedirect && status >= 300 && status < 400) return redirectAnswer(url, location);
    return readAnswer(status, text);
  }
}

/** A redirect that carries the result in `Location` (resolved against the request URL). */
function redirectAnswer(url: URL, location: string | null): Answer {
  let target: URL | undefined;
  try {
    target = location === null ? undefined : new URL(location, url);
  } catch {
    target = undefined;
  }
  if (!target) {
    return failure(
      "unknown",
      LOCAL_CODES.malformed,
      "the platform answered a redirect without a valid Location",
    );
  }
  return { kind: "ok", body: {}, location: target.href };
}

/** Classifies one HTTP answer (status and body text) of the platform. */
export function readAnswer(status: number, text: string): Answer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    const kind = status >= 200 && status < 300 ? "unknown" : classifyStatus(status);
    const code = status >= 200 && status < 300 ? LOCAL_CODES.malformed : `HTTP_${status}`;
    return failure(kind, code, `HTTP ${status} without a result code: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const { resultcode, resultdesc } = envelope.data;
  const kind = classifyAnswer(status, resultcode);
  if (kind === "ok") return { kind: "ok", body: envelope.data };
  const message = resultdesc ?? RESULT_CODES[resultcode]?.description ?? `HTTP ${status}`;
  return failure(kind, resultcode, message);
}

function failure(kind: Failure["kind"], code: string, message: string): Failure {
  return { kind, code, message };
}

/** The most specific error code of a failed fetch (undici puts it on `cause`), e.g. `ECONNREFUSED`. */
function networkCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.length > 0) return code;
  }
  return LOCAL_CODES.network;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
