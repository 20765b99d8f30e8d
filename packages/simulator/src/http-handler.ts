import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { parseAuthHeaders, type SignatureVerifier } from "./auth.js";
import { type CallControl, RECORDING_FILES_PATH } from "./call-control.js";
import { Code, codeInfo } from "./codes.js";
import { type ControlApi, isControlPath } from "./control.js";
import type { FaultController } from "./faults.js";
import { announcesTooLarge, type Body, parseTarget, rawAnswer, readBody, requestParams } from "./request.js";
import { AX_CALLEE_PATH, AX_PATH, axCalleeRoute, axRoute } from "./routes/ax.js";
import { AXB_PATH, axbRoute } from "./routes/axb.js";
import { AXE_PATH, AXE_V2_PATH, axeRoute, axeV2Route } from "./routes/axe.js";
import { AXYB_PATH, axybRoute } from "./routes/axyb.js";
import { CALL_STOP_PATH, callStopRoute, RECORDING_PATH, recordingRoute } from "./routes/call-control.js";
import type { Reply, Route } from "./routes/types.js";
import type { PlatformState } from "./state.js";
import type { RequestCounter } from "./stats.js";

const ROUTES = new Map<string, Route>([
  [RECORDING_PATH, recordingRoute],
  [CALL_STOP_PATH, callStopRoute],
  [AXB_PATH, axbRoute],
  [AX_PATH, axRoute],
  [AX_CALLEE_PATH, axCalleeRoute],
  [AXE_PATH, axeRoute],
  [AXE_V2_PATH, axeV2Route],
  [AXYB_PATH, axybRoute],
]);

/** What the request handling works on; the simulator owns each part and shares it. */
export interface HttpHandlerParts {
  readonly state: PlatformState;
  readonly verifier: SignatureVerifier;
  readonly counter: RequestCounter;
  readonly faults: FaultController;
  readonly calls: CallControl;
  /** The control API under `/sim`, when enabled. */
  readonly control?: ControlApi;
  /** Platform flow control per app key (already validated). */
  readonly requestsPerSecond?: number;
}

/**
 * The platform's HTTP side: parses a request, checks its signature, flow control and faults, dispatches it
 * to the route of its path and answers with a JSON result code. Node's server events plug in directly.
 */
export class HttpHandler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly parts: HttpHandlerParts) {}

  /** The server's `request` listener. */
  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) this.send(res, { code: Code.internalError });
    });
  };

  /**
   * The server's `checkContinue` listener: a client that waits for 100 Continue learns at once that its
   * body is too large, without sending it.
   */
  readonly onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    if (!announcesTooLarge(req)) {
      res.writeContinue();
      this.onRequest(req, res);
      return;
    }
    this.parts.counter.request((req.method ?? "GET").toUpperCase(), undefined);
    this.sendTooLarge(res);
  };

  /** The server's `clientError` listener: a request node's HTTP parser refused gets a JSON result code. */
  readonly onClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "Request Timeout"]
          : [400, "Bad Request"];
    this.parts.counter.result(Code.invalidRequest);
    socket.end(
      rawAnswer(status, reason, { resultcode: Code.invalidRequest, resultdesc: "Malformed HTTP request." }),
    );
  };

  /** Drops held (delayed or timed-out) requests: they are never answered. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { state, verifier, counter, faults, calls, control } = this.parts;
    const target = parseTarget(req.url ?? "/");
    // Control requests are not platform traffic: no stats, no faults, no platform signature.
    if (control && target && isControlPath(target.path)) return control.handle(req, res, target);
    const method = (req.method ?? "GET").toUpperCase();
    const path = target?.path;
    const route = path === undefined ? undefined : ROUTES.get(path);
    // Only served paths get their own counter: garbage paths would grow the map without bound.
    counter.request(method, route === undefined ? undefined : path);
    let body: Body;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    if ("tooLarge" in body) return this.sendTooLarge(res);
    const latency = faults.latencyMs();
    if (latency > 0) await this.sleep(latency);
    if (this.closed) return;

    if (!target) return this.send(res, { code: Code.invalidRequest, detail: "Malformed request URI." }, 400);
    if (method === "GET" && target.path.startsWith(RECORDING_FILES_PATH))
      return this.sendRecordingFile(res, target.path);
    if (!route)
      return this.send(res, { code: Code.invalidRequest, detail: `Unknown URI ${target.path}.` }, 404);
    const handler = route.methods[method as keyof Route["methods"]];
    if (!handler)
      return this.send(res, { code: Code.invalidRequest, detail: `Method ${method} not allowed.` }, 405);

    const auth = parseAuthHeaders(req.headers);
    if (!auth.ok) return this.send(res, { code: auth.code, detail: auth.detail });
    const appKey = auth.token.username;
    const app = state.app(appKey);
    // Counted per known app key only: a counter per unknown username would grow with garbage traffic.
    if (!app) return this.send(res, { code: Code.invalidAppKey });
    const countThisSecond = counter.appRequest(appKey);
    const authFailure = verifier.verify(auth.token, app.config.appSecret);
    if (authFailure) return this.send(res, { code: authFailure.code, detail: authFailure.detail });
    const rps = this.parts.requestsPerSecond;
    if (rps !== undefined && countThisSecond > rps) return this.send(res, { code: Code.flowControl });
    if (route.mode !== "any" && route.mode !== app.mode) {
      return this.send(res, {
        code: Code.apiNotAllowed,
        detail: `The app_key is not allowed to invoke the API (app mode ${app.mode}, API mode ${route.mode}).`,
      });
    }

    const fault = faults.decide();
    if (fault !== "none") counter.fault(fault);
    if (fault === "serverError") return this.send(res, { code: Code.internalError });
    if (fault === "flowControl") return this.send(res, { code: Code.flowControl });

    let params: Record<string, unknown>;
    try {
      params = requestParams(method, target.query, body.text);
    } catch (err) {
      return this.send(res, { code: Code.invalidRequest, detail: (err as Error).message });
    }
    const run = (): Reply => {
      state.sweep();
      return handler({ state, app, params, calls });
    };

    if (fault === "timeout") {
      const reply = faults.timeoutTakesEffect ? run() : undefined;
      const hangMs = faults.hangMs;
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
    this.parts.counter.result(reply.code);
    const payload = JSON.stringify({
      resultcode: reply.code,
      resultdesc: reply.detail ?? info.desc,
      ...reply.body,
    });
    res.writeHead(httpStatus ?? reply.httpStatus ?? info.httpStatus, {
      "Content-Type": "application/json;charset=UTF-8",
      "Content-Length": Buffer.byteLength(payload),
      ...reply.headers,
    });
    res.end(payload);
  }

  /** The audio a recording URL points to, fetched without signature like an object-store link. */
  private sendRecordingFile(res: ServerResponse, path: string): void {
    const audio = this.parts.calls.recordingFile(path);
    if (!audio) {
      this.send(res, { code: Code.axbRecordNotFound }, 404);
      return;
    }
    res.writeHead(200, { "Content-Type": "audio/wav", "Content-Length": audio.length });
    res.end(audio);
  }

  /** 413 with a result code; the connection is closed after it. */
  private sendTooLarge(res: ServerResponse): void {
    res.setHeader("Connection", "close");
    this.send(res, { code: Code.invalidRequest, detail: "Request body exceeds 1 MiB." }, 413);
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
}
