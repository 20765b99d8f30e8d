import type { IncomingMessage } from "node:http";

/** Largest request body the simulator reads; a larger one is answered with HTTP 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of a too large body is read and dropped before the 413 answer. Answering (and closing) while
 * the client still sends makes the kernel reset the connection, and the client loses the answer; past
 * this much the simulator answers anyway rather than read without end.
 */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/** The routing part of a request target. */
export interface RequestTarget {
  /** Path with repeated slashes folded and a trailing slash dropped, e.g. `/rest/caas/...`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

/** RFC 3986 path characters (pchar and `/`), percent-escapes included. */
const PATH_RE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

/**
 * Reads the path and query of a request target (origin form `/p?q`, or absolute form from proxies);
 * undefined when it is not a URI. The path is folded before it is parsed: a base URL configured with a
 * trailing slash sends `//rest/...`, which a URL parser reads as a host name.
 */
export function parseTarget(target: string): RequestTarget | undefined {
  let rest = target;
  if (!rest.startsWith("/")) {
    if (!/^https?:\/\//i.test(rest)) return undefined;
    try {
      const url = new URL(rest);
      rest = url.pathname + url.search;
    } catch {
      return undefined;
    }
  }
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  if (!PATH_RE.test(rawPath)) return undefined;
  const path = rawPath.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
  return { path, query: new URLSearchParams(q === -1 ? "" : rest.slice(q + 1)) };
}

/** Whether a request announces (`Content-Length`) a body over {@link MAX_BODY_BYTES}. */
export function announcesTooLarge(req: IncomingMessage): boolean {
  return Number(req.headers["content-length"]) > MAX_BODY_BYTES;
}

/** A body read in full, or `tooLarge` once it passed {@link MAX_BODY_BYTES} (the rest is read and dropped). */
export type Body = { readonly text: string } | { readonly tooLarge: true };

/** Reads the request body; rejects when the connection fails before its end. */
export function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = announcesTooLarge(req);
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (!tooLarge && size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (!tooLarge) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) {
        req.pause();
        resolve({ tooLarge: true });
      }
    });
    req.on("end", () =>
      resolve(tooLarge ? { tooLarge: true } : { text: Buffer.concat(chunks).toString("utf8") }),
    );
    req.on("error", reject);
  });
}

/** A body that is neither JSON nor urlencoded. */
export class BodyError extends Error {}

/** Parses a JSON or urlencoded body into a flat record; nulls are dropped. */
export function parseBody(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed === "") return {};
  if (trimmed.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new BodyError("Request body is not valid JSON.");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new BodyError("Request body must be a JSON object.");
    }
    return dropNulls(value as Record<string, unknown>);
  }
  if (trimmed.includes("=")) return Object.fromEntries(new URLSearchParams(trimmed));
  throw new BodyError("Request body is neither JSON nor urlencoded.");
}

/**
 * The parameters of a request. GET and DELETE carry them in the query string (§1); the body is merged
 * under it when it parses, and ignored when it does not, as the platform reads only the query string
 * there. POST and PUT carry them in the body, which must parse.
 */
export function requestParams(
  method: string,
  query: URLSearchParams,
  bodyText: string,
): Record<string, unknown> {
  const fromQuery = Object.fromEntries(query);
  if (method === "GET" || method === "DELETE") {
    let body: Record<string, unknown> = {};
    try {
      body = parseBody(bodyText);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
    }
    return { ...body, ...fromQuery };
  }
  return { ...fromQuery, ...parseBody(bodyText) };
}

function dropNulls(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null) out[k] = v;
  return out;
}

/** A complete HTTP/1.1 answer written straight to a socket, for requests node's parser refused. */
export function rawAnswer(status: number, reason: string, json: Record<string, unknown>): string {
  const payload = JSON.stringify(json);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json;charset=UTF-8\r\n` +
    `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`
  );
}
