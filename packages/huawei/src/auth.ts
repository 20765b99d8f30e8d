import { createHash, createHmac, randomUUID } from "node:crypto";

/**
 * How requests are signed. `aksk` is the current scheme (`Authorization: AKSK ...` + `X-AKSK`, digest
 * Base64(HMAC-SHA256(secret, nonce + created))). `wsse` is the legacy scheme (`Authorization: WSSE ...` +
 * `X-WSSE`, digest Base64(SHA-256(nonce + created + secret))) still used by most public integrations.
 */
export type AuthScheme = "aksk" | "wsse";

/** Credentials of one platform app. */
export interface AppCredentials {
  readonly appKey: string;
  readonly appSecret: string;
}

/** The `Authorization` header value of a scheme; the platform wants exactly this text. */
export const AUTHORIZATION_VALUE: Readonly<Record<AuthScheme, string>> = {
  aksk: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
  wsse: 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"',
};

/** The name of the header that carries the UsernameToken of a scheme. */
export const TOKEN_HEADER: Readonly<Record<AuthScheme, "X-AKSK" | "X-WSSE">> = {
  aksk: "X-AKSK",
  wsse: "X-WSSE",
};

/** A fresh nonce: 32 lower-case hex characters (a UUID without dashes). */
export function newNonce(): string {
  return randomUUID().replaceAll("-", "");
}

/** The `Created` value for a time in ms since the epoch: UTC `yyyy-MM-ddTHH:mm:ssZ`, no milliseconds. */
export function formatCreated(nowMs: number): string {
  return `${new Date(nowMs).toISOString().slice(0, 19)}Z`;
}

/** AKSK digest: Base64(HMAC-SHA256(key = appSecret, message = nonce + created)). */
export function akskDigest(appSecret: string, nonce: string, created: string): string {
  return createHmac("sha256", appSecret)
    .update(nonce + created, "utf8")
    .digest("base64");
}

/** Legacy WSSE digest: Base64(SHA-256(nonce + created + appSecret)). */
export function wsseDigest(appSecret: string, nonce: string, created: string): string {
  return createHash("sha256")
    .update(nonce + created + appSecret, "utf8")
    .digest("base64");
}

/** The digest of a scheme for one nonce and created value. */
export function passwordDigest(
  scheme: AuthScheme,
  appSecret: string,
  nonce: string,
  created: string,
): string {
  return scheme === "aksk" ? akskDigest(appSecret, nonce, created) : wsseDigest(appSecret, nonce, created);
}

/**
 * The `Authorization` and token headers of one request. Attributes are separated by `", "` for AKSK and
 * `","` for WSSE, as in the respective documents.
 */
export function authHeaders(
  scheme: AuthScheme,
  credentials: AppCredentials,
  nonce: string = newNonce(),
  created: string = formatCreated(Date.now()),
): Record<string, string> {
  const digest = passwordDigest(scheme, credentials.appSecret, nonce, created);
  const separator = scheme === "aksk" ? ", " : ",";
  const token = [
    `Username="${credentials.appKey}"`,
    `PasswordDigest="${digest}"`,
    `Nonce="${nonce}"`,
    `Created="${created}"`,
  ].join(separator);
  return {
    Authorization: AUTHORIZATION_VALUE[scheme],
    [TOKEN_HEADER[scheme]]: `UsernameToken ${token}`,
  };
}
