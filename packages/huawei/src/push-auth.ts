import { timingSafeEqual } from "node:crypto";
import { ValidationError } from "@bindpool/core";
import { type AuthScheme, passwordDigest } from "./auth.js";

/** Request headers as `fetch` (`Headers`) or `node:http` (`IncomingHttpHeaders`) hand them over. */
export type PushHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyPushAuthOptions {
  readonly appKey: string;
  readonly appSecret: string;
  /**
   * Largest accepted distance between `Created` and now, in seconds, either way.
   * @default 300
   */
  readonly createdWindowSeconds?: number;
  /**
   * The current time in ms since the epoch.
   * @default Date.now()
   */
  readonly nowMs?: number;
}

/** Why a push was rejected. */
export type PushAuthFailure =
  | "missingHeader" // no Authorization or no X-AKSK / X-WSSE header
  | "malformedHeader" // the headers do not follow the documented format
  | "wrongAppKey" // Username is not this app's key
  | "badDigest" // PasswordDigest does not match the app secret
  | "staleCreated"; // Created is outside the accepted window

export type PushAuthResult =
  | {
      readonly ok: true;
      readonly scheme: AuthScheme;
      readonly appKey: string;
      /** Keep nonces you have seen (for the window) if you want to reject replays. */
      readonly nonce: string;
      /** `Created` in ms since the epoch. */
      readonly createdMs: number;
    }
  | { readonly ok: false; readonly reason: PushAuthFailure; readonly message: string };

const DEFAULT_CREATED_WINDOW_SECONDS = 300;
const SCHEME_OF_REALM: Readonly<Record<string, AuthScheme>> = { AKSK: "aksk", WSSE: "wsse" };
const CREATED = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/;

/**
 * Verifies the AKSK (or legacy WSSE) headers of a request the platform pushed (call events, CDRs,
 * number status): app key, digest over Nonce + Created with the app secret, and Created within
 * `createdWindowSeconds` of now. Pure: reads only its arguments (and the clock when `nowMs` is absent).
 */
export function verifyPushAuth(headers: PushHeaders, options: VerifyPushAuthOptions): PushAuthResult {
  const windowSeconds = options.createdWindowSeconds ?? DEFAULT_CREATED_WINDOW_SECONDS;
  if (!(windowSeconds >= 0)) {
    throw new ValidationError(`createdWindowSeconds must be a number >= 0 (got ${String(windowSeconds)})`);
  }
  const authorization = header(headers, "authorization");
  if (authorization === undefined) return fail("missingHeader", "no Authorization header");
  const realm = /^\s*(AKSK|WSSE)\s/i.exec(authorization)?.[1]?.toUpperCase();
  const scheme = realm === undefined ? undefined : SCHEME_OF_REALM[realm];
  if (scheme === undefined) {
    return fail(
      "malformedHeader",
      `Authorization is neither AKSK nor WSSE: ${JSON.stringify(authorization)}`,
    );
  }
  const tokenName = scheme === "aksk" ? "x-aksk" : "x-wsse";
  const token = header(headers, tokenName);
  if (token === undefined)
    return fail("missingHeader", `Authorization says ${realm} but there is no ${tokenName} header`);
  const match = /^\s*UsernameToken\s+(.*)$/s.exec(token);
  if (match === null) return fail("malformedHeader", `${tokenName} does not start with UsernameToken`);
  const attributes = parseAttributes(match[1] ?? "");
  const username = attributes.get("username");
  const digest = attributes.get("passworddigest");
  const nonce = attributes.get("nonce");
  const created = attributes.get("created");
  if (username === undefined || digest === undefined || nonce === undefined || created === undefined) {
    return fail("malformedHeader", `${tokenName} lacks one of Username, PasswordDigest, Nonce, Created`);
  }
  if (username !== options.appKey) {
    return fail("wrongAppKey", `Username ${JSON.stringify(username)} is not the configured app key`);
  }
  const createdMs = parseCreated(created);
  if (createdMs === undefined)
    return fail("malformedHeader", `Created ${JSON.stringify(created)} is not yyyy-MM-ddTHH:mm:ssZ`);
  const expected = Buffer.from(passwordDigest(scheme, options.appSecret, nonce, created));
  const given = Buffer.from(digest);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail("badDigest", "PasswordDigest does not match the app secret");
  }
  const nowMs = options.nowMs ?? Date.now();
  const skewSeconds = Math.abs(nowMs - createdMs) / 1000;
  if (skewSeconds > windowSeconds) {
    return fail(
      "staleCreated",
      `Created ${created} is ${Math.round(skewSeconds)} s from now (window ${windowSeconds} s)`,
    );
  }
  return { ok: true, scheme, appKey: username, nonce, createdMs };
}

function fail(reason: PushAuthFailure, message: string): PushAuthResult {
  return { ok: false, reason, message };
}

function header(headers: PushHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = typeof value === "string" ? value : value?.[0];
    if (first !== undefined) return first;
  }
  return undefined;
}

/** `Name="value"` pairs, separated by commas with or without spaces; names lower-cased. */
function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z]+)\s*=\s*"([^"]*)"/g)) {
    attributes.set(m[1]!.toLowerCase(), m[2]!);
  }
  return attributes;
}

function parseCreated(created: string): number | undefined {
  const m = CREATED.exec(created);
  if (m === null) return undefined;
  const ms = Date.parse(created);
  return Number.isNaN(ms) ? undefined : ms;
}
