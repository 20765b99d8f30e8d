import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type AuthOptions, parseAuthHeaders, SignatureVerifier } from "./auth.js";
import { callPushes, liveTempCallee, type SimulatedCall, type SimulatedCallInput } from "./calls.js";
import { Code, codeInfo } from "./codes.js";
import { FaultController, type FaultOptions } from "./faults.js";
import { Pusher, type PushOptions, type PushStats } from "./push.js";
import { AX_CALLEE_PATH, AX_PATH, axCalleeRoute, axRoute } from "./routes/ax.js";
import { AXB_PATH, axbRoute } from "./routes/axb.js";
import { AXYB_PATH, axybRoute } from "./routes/axyb.js";
import type { Reply, Route } from "./routes/types.js";
import {
  type AppConfig,
  type Mode,
  NUMBER_STATUS_CODE,
  type NumberStatus,
  PlatformState,
  type StateEvent,
} from "./state.js";
import { RequestCounter, type SimulatorStats } from "./stats.js";
import { selfSignedCertificate } from "./tls.js";

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** The platform apps: credentials, mode and X numbers of each. */
  readonly apps: readonly AppConfig[];
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** TCP port (default 0: an ephemeral port). */
  readonly port?: number;
  /** Serve HTTPS: `true` for a generated self-signed certificate, or a PEM cert and key. */
  readonly https?: boolean | { readonly cert: string; readonly key: string };
  readonly auth?: AuthOptions;
  /** Platform flow control per app key; requests over it in one second get `1010010`. */
  readonly rateLimit?: { readonly requestsPerSecond: number };
  readonly faults?: FaultOptions;
  /** Clock for binding times and expiry, in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** Result code of a bind on an abnormal X (default `1012102`, blacklisted). */
  readonly abnormalResultCode?: string;
  /** Push notifications (call events, CDRs, X number status) to these URLs, signed with each app's secret. */
  readonly push?: PushOptions;
}

/** A binding as the simulated platform holds it. */
export interface SimulatorBinding {
  readonly appKey: string;
  readonly mode: Mode;
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b?: string;
  /** Lifetime in seconds; 0 = permanent. */
  readonly durationSeconds: number;
  readonly createdAtMs: number;
  readonly expiresAtMs?: number;
  readonly userData?: string;
  /** AX: the temporary callee of A's next call through X (§5.3), while one is set and not expired. */
  readonly callee?: string;
  /** AX: when {@link callee} expires, by the `now` clock. */
  readonly calleeExpiresAtMs?: number;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; append the platform paths. */
  readonly url: string;
  /** PEM of the certificate to trust when serving HTTPS. */
  readonly caCertificate?: string;
  readonly faults: { set(partial: FaultOptions): void; reset(): void };
  /**
   * Sets the status of an X: binds fail unless `normal`; calls fail on `paused` and `abnormal`. With
   * `push`, the X status push (`numStatus`, code 5/9/10/11, with `cause` when given) is sent.
   */
  setNumberStatus(appKey: string, x: string, status: NumberStatus, cause?: number): void;
  /**
   * Simulates a call over a live binding and pushes its events (callin, alerting, answer, disconnect) and
   * then its CDR, in order; resolves after each push's first attempt. Needs the `push` option.
   */
  simulateCall(appKey: string, input: SimulatedCallInput): Promise<SimulatedCall>;
  /** Push delivery counters (all zero without the `push` option). */
  pushStats(): PushStats;
  /** Resolves once every push is delivered or given up. */
  pushesIdle(): Promise<void>;
  /** Creates a binding the client did not make (AXB when `b` is given, AX otherwise by app mode). */
  bindBehindBack(
    appKey: string,
    binding: { x: string; a: string; b?: string; durationSeconds?: number },
  ): { subscriptionId: string };
  /** Live bindings, optionally of one app key; AX ones with their temporary callee while it lasts. */
  bindings(appKey?: string): SimulatorBinding[];
  stats(): SimulatorStats;
  resetStats(): void;
  /** Subscribes to binding and number-status changes; returns the unsubscribe function. */
  onEvent(listener: (event: StateEvent) => void): () => void;
  /** Stops listening, drops held (timed-out) requests and cancels pending push retries. */
  close(): Promise<void>;
}

const ROUTES = new Map<string, Route>([
  [AXB_PATH, axbRoute],
  [AX_PATH, axRoute],
  [AX_CALLEE_PATH, axCalleeRoute],
  [AXYB_PATH, axybRoute],
]);

const MAX_BODY_BYTES = 1024 * 1024;

class BodyError extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyError("Request body too large."));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Parses a JSON or urlencoded body into a flat record; nulls are dropped. */
function parseBody(text: string): Record<string, unknown> {
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

function dropNulls(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null) out[k] = v;
  return out;
}

/** Runs the HTTP(S) server over a {@link PlatformState}. */
class SimulatorServer implements Simulator {
  url = "";
  caCertificate?: string;
  readonly faults: FaultController;
  private readonly state: PlatformState;
  private readonly verifier: SignatureVerifier;
  private readonly counter = new RequestCounter();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pusher?: Pusher;
  private server?: http.Server;
  private closed = false;

  constructor(private readonly options: SimulatorOptions) {
    this.state = new PlatformState(options.apps, options.now ?? Date.now, options.abnormalResultCode);
    this.verifier = new SignatureVerifier(options.auth);
    this.faults = new FaultController(options.faults);
    const rps = options.rateLimit?.requestsPerSecond;
    if (rps !== undefined && !(rps > 0))
      throw new RangeError(`rateLimit.requestsPerSecond must be > 0, got ${rps}`);
    if (options.push !== undefined) {
      const pusher = new Pusher(options.push);
      this.pusher = pusher;
      this.state.onEvent((event) => {
        if (event.type !== "numberStatus") return;
        const app = this.state.app(event.appKey)!;
        const number = {
          number: event.x,
          status: NUMBER_STATUS_CODE[event.status],
          ...(event.cause === undefined ? {} : { cause: event.cause }),
        };
        void pusher.send("numStatus", app.config, { eventType: "numStatus", numInfo: [number] });
      });
    }
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? "127.0.0.1";
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed) this.send(res, { code: Code.internalError });
      });
    };
    let scheme = "http";
    if (this.options.https) {
      const material = this.options.https === true ? await selfSignedCertificate(host) : this.options.https;
      this.caCertificate = material.cert;
      this.server = https.createServer(
        { cert: material.cert, key: material.key, minVersion: "TLSv1.2" },
        handler,
      );
      scheme = "https";
    } else {
      this.server = http.createServer(handler);
    }
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.url = `${scheme}://${shownHost}:${address.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://simulator");
    const path = url.pathname.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");
    const method = (req.method ?? "GET").toUpperCase();
    this.counter.request(method, path);
    let bodyText: string;
    try {
      bodyText = await readBody(req);
    } catch {
      return;
    }
    const latency = this.faults.latencyMs();
    if (latency > 0) await this.sleep(latency);
    if (this.closed) return;

    const route = ROUTES.get(path);
    if (!route) return this.send(res, { code: Code.invalidRequest, detail: `Unknown URI ${path}.` }, 404);
    const handler = route.methods[method as keyof Route["methods"]];
    if (!handler)
      return this.send(res, { code: Code.invalidRequest, detail: `Method ${method} not allowed.` }, 405);

    const auth = parseAuthHeaders(req.headers);
    if (!auth.ok) return this.send(res, { code: auth.code, detail: auth.detail });
    const appKey = auth.token.username;
    const countThisSecond = this.counter.appRequest(appKey);
    const app = this.state.app(appKey);
    if (!app) return this.send(res, { code: Code.invalidAppKey });
    const authFailure = this.verifier.verify(auth.token, app.config.appSecret);
    if (authFailure) return this.send(res, { code: authFailure.code, detail: authFailure.detail });
    const rps = this.options.rateLimit?.requestsPerSecond;
    if (rps !== undefined && countThisSecond > rps) return this.send(res, { code: Code.flowControl });
    if (route.mode !== app.mode) {
      return this.send(res, {
        code: Code.apiNotAllowed,
        detail: `The app_key is not allowed to invoke the API (app mode ${app.mode}, API mode ${route.mode}).`,
      });
    }

    const fault = this.faults.decide();
    if (fault !== "none") this.counter.fault(fault);
    if (fault === "serverError") return this.send(res, { code: Code.internalError });
    if (fault === "flowControl") return this.send(res, { code: Code.flowControl });

    let params: Record<string, unknown>;
    try {
      const body = parseBody(bodyText);
      const query = Object.fromEntries(url.searchParams);
      // GET/DELETE parameters belong in the query string, POST/PUT in the body; take either (§16).
      params = method === "GET" || method === "DELETE" ? { ...body, ...query } : { ...query, ...body };
    } catch (err) {
      return this.send(res, { code: Code.invalidRequest, detail: (err as Error).message });
    }
    const run = (): Reply => {
      this.state.sweep();
      return handler({ state: this.state, app, params });
    };

    if (fault === "timeout") {
      const reply = this.faults.timeoutTakesEffect ? run() : undefined;
      const hangMs = this.faults.hangMs;
      if (hangMs === undefined) return; // never answered; the socket is dropped on close()
      await this.sleep(hangMs);
      if (this.closed) return;
      return this.send(res, reply ?? run());
    }
    this.send(res, run());
  }

  private send(res: ServerResponse, reply: Reply, httpStatus?: number): void {
    if (res.destroyed || res.headersSent) return;
    const info = codeInfo(reply.code);
    this.counter.result(reply.code);
    const payload = JSON.stringify({
      resultcode: reply.code,
      resultdesc: reply.detail ?? info.desc,
      ...reply.body,
    });
    res.writeHead(httpStatus ?? info.httpStatus, {
      "Content-Type": "application/json;charset=UTF-8",
      "Content-Length": Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  setNumberStatus(appKey: string, x: string, status: NumberStatus, cause?: number): void {
    if (!Object.hasOwn(NUMBER_STATUS_CODE, status))
      throw new Error(`unknown number status "${String(status)}"`);
    this.state.setNumberStatus(appKey, x, status, cause);
  }

  async simulateCall(appKey: string, input: SimulatedCallInput): Promise<SimulatedCall> {
    const pusher = this.pusher;
    if (!pusher) throw new Error("simulateCall needs the push option (where to send the call events)");
    const app = this.state.app(appKey);
    if (!app) throw new Error(`unknown appKey "${appKey}"`);
    const binding = this.state.binding(appKey, input.subscriptionId);
    if (!binding) throw new Error(`no live binding ${input.subscriptionId} in app "${appKey}"`);
    const startMs = (this.options.now ?? Date.now)();
    const { call, pushes } = callPushes(binding, this.state.numberStatus(appKey, binding.x), input, startMs);
    // One after the other, as a call produces them; a failed push is retried without holding up the rest.
    for (const push of pushes) await pusher.send(push.kind, app.config, push.body);
    return call;
  }

  pushStats(): PushStats {
    return this.pusher?.stats() ?? { delivered: 0, failedAttempts: 0, pending: 0, gaveUp: 0 };
  }

  pushesIdle(): Promise<void> {
    return this.pusher?.idle() ?? Promise.resolve();
  }

  bindBehindBack(
    appKey: string,
    binding: { x: string; a: string; b?: string; durationSeconds?: number },
  ): { subscriptionId: string } {
    const app = this.state.app(appKey);
    if (!app) throw new Error(`unknown appKey "${appKey}"`);
    if (app.mode === "AXB" && binding.b === undefined)
      throw new Error("bindBehindBack on an AXB app needs b");
    this.state.sweep();
    const result =
      app.mode === "AXB"
        ? this.state.bindAxb(app, {
            x: binding.x,
            a: binding.a,
            b: binding.b ?? "",
            durationSeconds: binding.durationSeconds ?? 0,
            attrs: {},
          })
        : this.state.bindAx(app, { x: binding.x, a: binding.a, attrs: {} });
    if (!result.ok) {
      throw new Error(
        `bindBehindBack failed with ${result.code}: ${result.detail ?? codeInfo(result.code).desc}`,
      );
    }
    return { subscriptionId: result.value.subscriptionId };
  }

  bindings(appKey?: string): SimulatorBinding[] {
    const now = (this.options.now ?? Date.now)();
    return this.state.list(appKey).map((b) => {
      const temp = liveTempCallee(b, now);
      return {
        appKey: b.appKey,
        mode: b.mode,
        subscriptionId: b.subscriptionId,
        x: b.x,
        a: b.a,
        ...(b.b === undefined ? {} : { b: b.b }),
        durationSeconds: b.durationSeconds,
        createdAtMs: b.createdAtMs,
        ...(b.expiresAtMs === undefined ? {} : { expiresAtMs: b.expiresAtMs }),
        ...(b.userData === undefined ? {} : { userData: b.userData }),
        ...(temp === undefined ? {} : { callee: temp.calleeNum, calleeExpiresAtMs: temp.expiresAtMs }),
      };
    });
  }

  stats(): SimulatorStats {
    return this.counter.snapshot();
  }

  resetStats(): void {
    this.counter.reset();
  }

  onEvent(listener: (event: StateEvent) => void): () => void {
    return this.state.onEvent(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pusher?.close();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** Starts a simulator listening on an ephemeral port (unless `port` is given) and resolves when it accepts requests. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const sim = new SimulatorServer(options);
  await sim.listen();
  return sim;
}
