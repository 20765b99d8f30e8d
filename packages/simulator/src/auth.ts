import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Code } from "./codes.js";

/** Options of the signature check; see platform facts §2 and §16. */
export interface AuthOptions {
  /** Largest accepted difference between `Created` and the server clock, in seconds (default 8 h 15 min). */
  readonly createdWindowSeconds?: number;
  /** Reject a nonce seen before for the same app key (default false: real clients reuse headers). */
  readonly rejectReplayedNonce?: boolean;
}

/** Default Created window: Java demo code in UTC+8 sends local time with a `Z`, so ±8 h plus slack. */
export const DEFAULT_CREATED_WINDOW_SECONDS = 8 * 3600 + 15 * 60;

export type Scheme = "AKSK" | "WSSE";

export interface UsernameToken {
  readonly scheme: Scheme;
  readonly username: string;
  readonly passwordDigest: string;
  readonly nonce: string;
  readonly created: string;
}

export type AuthFailure = { readonly ok: false; readonly code: string; readonly detail: string };
export type ParsedAuth = { readonly ok: true; readonly token: UsernameToken } | AuthFailure;

type HeaderValue = string | string[] | undefined;

/** Reads `name="value"` attributes; tolerates `,` or `, ` separators, spaces around `=` and unquoted values. */
export function parseAttributes(value: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|([^,\s"]+))/g;
  for (const m of value.matchAll(re)) {
    const name = m[1];
    if (name !== undefined) attrs.set(name.toLowerCase(), m[2] ?? m[3] ?? "");
  }
  return attrs;
}

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function fail(code: string, detail: string): AuthFailure {
  return { ok: false, code, detail };
}

/** Parses `Authorization` plus `X-AKSK` / `X-WSSE` into a username token, or the platform's auth code. */
export function parseAuthHeaders(headers: Record<string, HeaderValue>): ParsedAuth {
  const authorization = first(headers.authorization)?.trim();
  if (!authorization) return fail(Code.noAuthorization, "Authorization not contained in the HTTP header.");
  const attrs = parseAttributes(authorization);
  if (!attrs.has("realm")) return fail(Code.noRealm, "realm not contained in Authorization.");
  const akskHeader = first(headers["x-aksk"]);
  const wsseHeader = first(headers["x-wsse"]);
  const declared = authorization.split(/[\s,]/, 1)[0]?.toUpperCase();
  let scheme: Scheme;
  if (declared === "AKSK" || declared === "WSSE") scheme = declared;
  else if (akskHeader !== undefined) scheme = "AKSK";
  else if (wsseHeader !== undefined) scheme = "WSSE";
  else return fail(Code.appKeyInvalid, `Unknown authorization scheme "${declared ?? ""}".`);
  // The scheme decides the digest formula; take the token from its own header, else from the other one.
  const tokenHeader = (scheme === "AKSK" ? akskHeader : wsseHeader) ?? akskHeader ?? wsseHeader;
  if (tokenHeader === undefined) {
    return fail(Code.appKeyInvalid, `X-${scheme} header not contained in the HTTP request.`);
  }
  const token = parseAttributes(tokenHeader);
  const username = token.get("username");
  const passwordDigest = token.get("passworddigest");
  const nonce = token.get("nonce");
  const created = token.get("created");
  if (!username) return fail(Code.invalidAppKey, "Username missing in UsernameToken.");
  if (!passwordDigest || !nonce || !created) {
    return fail(Code.appKeyInvalid, "PasswordDigest, Nonce or Created missing in UsernameToken.");
  }
  return { ok: true, token: { scheme, username, passwordDigest, nonce, created } };
}

/** Digest the client should have sent: AKSK = HMAC-SHA256(secret, nonce+created); WSSE = SHA256(nonce+created+secret). */
export function expectedDigest(scheme: Scheme, secret: string, nonce: string, created: string): string {
  if (scheme === "AKSK")
    return createHmac("sha256", secret)
      .update(nonce + created)
      .digest("base64");
  return createHash("sha256")
    .update(nonce + created + secret)
    .digest("base64");
}

const CREATED_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

/** Parses `Created` (`yyyy-MM-ddTHH:mm:ssZ`, milliseconds tolerated) to epoch milliseconds, NaN if invalid. */
export function parseCreatedMs(created: string): number {
  const m = CREATED_RE.exec(created);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
}

function digestMatches(expected: string, got: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks digest, Created window and (optionally) nonce reuse of one request. */
export class SignatureVerifier {
  private readonly windowMs: number;
  private readonly rejectReplay: boolean;
  private readonly seenNonces = new Map<string, number>();

  constructor(
    options: AuthOptions = {},
    private readonly wallClockMs: () => number = Date.now,
  ) {
    this.windowMs = (options.createdWindowSeconds ?? DEFAULT_CREATED_WINDOW_SECONDS) * 1000;
    this.rejectReplay = options.rejectReplayedNonce ?? false;
  }

  /** Verifies a parsed token against the app secret; returns undefined when it is good. */
  verify(token: UsernameToken, secret: string): AuthFailure | undefined {
    const expected = expectedDigest(token.scheme, secret, token.nonce, token.created);
    if (!digestMatches(expected, token.passwordDigest)) {
      return fail(
        Code.appKeyInvalid,
        "PasswordDigest does not match (check APP_Secret and the digest formula).",
      );
    }
    const createdMs = parseCreatedMs(token.created);
    if (Number.isNaN(createdMs)) {
      return fail(Code.appKeyInvalid, "Created is not in the format yyyy-MM-ddTHH:mm:ssZ.");
    }
    const nowMs = this.wallClockMs();
    if (Math.abs(nowMs - createdMs) > this.windowMs) {
      return fail(Code.appKeyInvalid, "Created is outside the accepted time window.");
    }
    if (this.rejectReplay) {
      const key = `${token.username}\n${token.nonce}`;
      if (this.seenNonces.has(key)) return fail(Code.appKeyInvalid, "Nonce has been used before.");
      this.seenNonces.set(key, nowMs);
      if (this.seenNonces.size % 1024 === 0) this.pruneNonces(nowMs);
    }
    return undefined;
  }

  private pruneNonces(nowMs: number): void {
    for (const [key, seenMs] of this.seenNonces) {
      if (nowMs - seenMs > 2 * this.windowMs) this.seenNonces.delete(key);
    }
  }
}

/** `Created` of a time in epoch milliseconds: UTC `yyyy-MM-ddTHH:mm:ssZ`, no milliseconds (§2.1). */
export function formatCreated(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * The headers the platform signs its pushes with (§2.2): AKSK with the app's secret, a fresh 32-hex-char
 * nonce and `Created` per call.
 */
export function signPushHeaders(appKey: string, appSecret: string, nowMs: number): Record<string, string> {
  const nonce = randomBytes(16).toString("hex");
  const created = formatCreated(nowMs);
  const digest = expectedDigest("AKSK", appSecret, nonce, created);
  return {
    Authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
    "X-AKSK": `UsernameToken Username="${appKey}", PasswordDigest="${digest}", Nonce="${nonce}", Created="${created}"`,
  };
}
