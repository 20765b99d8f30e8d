import { createHash, createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, request } from "node:http";
import { type AddressInfo, connect } from "node:net";
import type { Simulator } from "../src/index.js";

export const AXB_PATH = "/rest/caas/relationnumber/partners/v1.0";
export const AX_PATH = "/rest/provision/caas/privatenumber/v1.0";
export const AX_CALLEE_PATH = "/rest/caas/privatenumber/calleenumber/v1.0";
export const AXE_PATH = "/rest/caas/extendnumber/v1.0";
export const AXE_V2_PATH = "/rest/caas/extendnumber/v2.0";

/** `yyyy-MM-ddTHH:mm:ssZ` of a time in ms, as the docs define Created. */
export function created(ms = Date.now()): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export interface SignOptions {
  scheme?: "AKSK" | "WSSE";
  nonce?: string;
  createdAt?: string;
  /** Separator between X-AKSK attributes. */
  separator?: string;
  /** Attribute name used in Authorization instead of `type`. */
  typeAttr?: string;
}

/** Builds the auth headers from the doc formulas (§2.1, §2.3) with node:crypto. */
export function authHeaders(
  appKey: string,
  appSecret: string,
  opts: SignOptions = {},
): Record<string, string> {
  const scheme = opts.scheme ?? "AKSK";
  const nonce = opts.nonce ?? randomBytes(16).toString("hex");
  const createdAt = opts.createdAt ?? created();
  const digest =
    scheme === "AKSK"
      ? createHmac("sha256", appSecret)
          .update(nonce + createdAt)
          .digest("base64")
      : createHash("sha256")
          .update(nonce + createdAt + appSecret)
          .digest("base64");
  const sep = opts.separator ?? (scheme === "AKSK" ? ", " : ",");
  const token = [
    `Username="${appKey}"`,
    `PasswordDigest="${digest}"`,
    `Nonce="${nonce}"`,
    `Created="${createdAt}"`,
  ].join(sep);
  return {
    "Content-Type": "application/json;charset=UTF-8",
    Authorization: `${scheme} realm="SDP",profile="UsernameToken",${opts.typeAttr ?? "type"}="Appkey"`,
    [scheme === "AKSK" ? "X-AKSK" : "X-WSSE"]: `UsernameToken ${token}`,
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { resultcode: string; resultdesc: string };
}

export interface CallOptions extends SignOptions {
  query?: Record<string, string | number>;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  secret?: string;
}

/** Creates a signed caller for one app. */
export function client(sim: Simulator, appKey: string, appSecret: string) {
  return async function call(method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
    const url = new URL(sim.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers = { ...authHeaders(appKey, opts.secret ?? appSecret, opts), ...opts.headers };
    const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (method === "GET" && body !== undefined) return getWithBody(url, headers, body);
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Answer["body"] };
  };
}

/** `count` consecutive numbers starting at `first` (global format). */
export function numbers(first: string, count: number): string[] {
  const base = BigInt(first.slice(1));
  return Array.from({ length: count }, (_, i) => `+${(base + BigInt(i)).toString()}`);
}

/** An answer read off a raw socket: status, headers (lower-case names) and the body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes over a plain TCP socket and reads the answer until the server closes (send
 * `Connection: close`); for requests fetch and node:http refuse to build, e.g. a malformed request line.
 */
export function rawRequest(sim: Simulator, ...parts: (string | Buffer)[]): Promise<RawAnswer> {
  const { hostname, port } = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
    for (const part of parts) socket.write(part);
  });
}

/** fetch refuses a GET body, but some PHP clients send one; node:http does not mind. */
function getWithBody(url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "GET", headers: { ...headers, "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export interface ReceivedPush {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** Whether X-AKSK carries a valid AKSK digest for the secret (checked with node:crypto here). */
  signed: boolean;
  nonce: string;
}

/** A node:http server that records pushes; `status(n)` answers the n-th (from 1) request. */
export async function receiver(
  appSecret: string,
  status: (attempt: number, push: ReceivedPush) => number = () => 200,
): Promise<{ url: string; pushes: ReceivedPush[]; close(): Promise<void> }> {
  const pushes: ReceivedPush[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => {
      const token = String(req.headers["x-aksk"] ?? "");
      const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(token)?.[1] ?? "";
      const nonce = attr("Nonce");
      const digest = createHmac("sha256", appSecret)
        .update(nonce + attr("Created"))
        .digest("base64");
      const push: ReceivedPush = {
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(text) as Record<string, unknown>,
        signed:
          req.headers.authorization === 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"' &&
          digest === attr("PasswordDigest"),
        nonce,
      };
      pushes.push(push);
      res.writeHead(status(pushes.length, push));
      res.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A control API answer: HTTP status, headers and the JSON body. */
export interface ControlAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields the endpoint answers
  body: any;
}

/** Calls the control API under `base` (e.g. `sim.controlUrl`) with the bearer token; `body` as JSON or raw text. */
export function controlClient(base: string, token?: string) {
  return async function control(method: string, path: string, body?: unknown): Promise<ControlAnswer> {
    const res = await fetch(base + path, {
      method,
      headers: {
        "Content-Type": "application/json",
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
}
