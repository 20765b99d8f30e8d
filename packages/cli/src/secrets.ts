/**
 * The credentials one CLI run knows (Redis passwords from URLs, config fields and REDIS_URL, the
 * platform app secret), and the scrubbing every printed message goes through. Third-party messages
 * (ioredis, DNS) may quote a URL in any form, so the output is scrubbed as a whole instead of trusting
 * each message to leave them out.
 */
export class Secrets {
  private readonly values = new Set<string>();

  /** A secret, as given and percent-decoded (a URL's password reaches Redis decoded). */
  add(value: string | undefined): void {
    if (!value) return;
    this.values.add(value);
    try {
      this.values.add(decodeURIComponent(value));
    } catch {
      // Not percent-encoded: the value as given is the secret.
    }
  }

  /** The credentials of a Redis URL, parseable or not (`redis//:pw@host` reaches ioredis too). */
  addUrl(url: string | undefined): void {
    if (!url) return;
    for (const m of url.matchAll(QUERY_PASSWORD)) this.add(m[2]);
    const parts = credentials(url);
    if (parts === undefined) return;
    this.add(parts.secret);
    this.add(parts.userinfo);
  }

  /** Every credential in a config file's JSON, read before it is checked (a bad file is echoed too). */
  addConfig(json: unknown): void {
    const redis = field(json, "redis");
    for (const url of [
      field(redis, "url"),
      field(redis, "cluster"),
      field(field(redis, "sentinel"), "nodes"),
    ].flat()) {
      if (typeof url === "string") this.addUrl(url);
    }
    for (const value of [field(redis, "password"), field(field(redis, "sentinel"), "password")]) {
      if (typeof value === "string") this.add(value);
    }
  }

  /** `text` with every known secret, and any URL password, replaced by `***`. */
  scrub(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const s of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(s).join("***");
    return out.replace(/(\/\/[^\s/@:]*):[^\s/@]+@/g, "$1:***@").replace(QUERY_PASSWORD, "$1***");
  }
}

/** A password in a URL's query (`?password=...`, `sentinelPassword=...`: ioredis reads both). */
const QUERY_PASSWORD = /([?&][^=&#\s]*password=)(?!\*\*\*)([^&#\s]*)/gi;

/** A Redis URL as messages show it: the password (or a userinfo without one) as `***`. */
export function shownUrl(url: string): string {
  const query = url.replace(QUERY_PASSWORD, "$1***");
  const parts = credentials(query);
  if (parts === undefined) return query;
  return `${query.slice(0, parts.start)}${parts.user === undefined ? "" : `${parts.user}:`}***${query.slice(parts.end)}`;
}

/**
 * Where a URL's userinfo is (`start`..`end`, before the last `@` of the authority) and its secret part:
 * the password, or the whole userinfo when there is no `:` (ioredis may take a lone user as password).
 */
function credentials(
  url: string,
): { start: number; end: number; userinfo: string; user: string | undefined; secret: string } | undefined {
  // Unparseable forms too: the authority starts after `//` when there is one, else after the scheme.
  const slashes = url.indexOf("//");
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url);
  const start = slashes >= 0 ? slashes + 2 : (scheme?.[0].length ?? 0);
  const rest = url.slice(start);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(":");
  const user = colon < 0 ? undefined : userinfo.slice(0, colon);
  const secret = colon < 0 ? userinfo : userinfo.slice(colon + 1);
  if (secret === "") return undefined;
  return { start, end: start + at, userinfo, user, secret };
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
