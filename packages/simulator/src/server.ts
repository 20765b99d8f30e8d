import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type AuthOptions, SignatureVerifier } from "./auth.js";
import { bindAx } from "./ax-state.js";
import { bindAxb } from "./axb-state.js";
import { CallControl, type LiveCall, type RecordingOptions } from "./call-control.js";
import { callPushes, liveTempCallee, type SimulatedCall, type SimulatedCallInput } from "./calls.js";
import { codeInfo } from "./codes.js";
import { CONTROL_PATH, ControlApi, type ControlOptions } from "./control.js";
import { FaultController, type FaultOptions } from "./faults.js";
import { HttpHandler } from "./http-handler.js";
import { Pusher, type PushOptions, type PushStats } from "./push.js";
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
import { runXCall, type XCall, type XCallInput, type XModeOptions } from "./x-mode.js";

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
  /** AXE: result code of a bind naming an extension already in use on X (default `1012010`; unconfirmed). */
  readonly extensionTakenResultCode?: string;
  /** Push notifications (call events, CDRs, X number status) to these URLs, signed with each app's secret. */
  readonly push?: PushOptions;
  /** How X-mode apps are asked where to connect a call (Block `callin`, see `simulateXCall`). */
  readonly xMode?: XModeOptions;
  /** The recording download URL (§12.1): redirect status and how long recordings are kept. */
  readonly recordings?: RecordingOptions;
  /** The control API under `/sim` (calls, X status, bindings, faults, stats; see README); off without it. */
  readonly control?: ControlOptions;
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
  /** AXE: the extension behind X that reaches A. */
  readonly extension?: string;
  /** AXYB: B's privacy number (A reaches B by calling it), while the YB relation lives. */
  readonly y?: string;
  /** AXE: the party A's call through X reaches now (the live call-back record), if any. */
  readonly callbackParty?: string;
  /** AXE: when {@link callbackParty}'s record expires, by the `now` clock (absent: with the binding). */
  readonly callbackExpiresAtMs?: number;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; append the platform paths. */
  readonly url: string;
  /** PEM of the certificate to trust when serving HTTPS. */
  readonly caCertificate?: string;
  /** Base URL of the control API (`url` + `/sim`), when the `control` option enables it. */
  readonly controlUrl?: string;
  readonly faults: { set(partial: FaultOptions): void; reset(): void; readonly current: FaultOptions };
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
  /**
   * X mode: `caller` dials `x`. Asks the app with a Block `callin` and honours the answer (connect: the
   * call's events and CDR follow; close, no answer or a bad one: the call ends). Needs the `push` option.
   */
  simulateXCall(appKey: string, input: XCallInput): Promise<XCall>;
  /**
   * Like {@link simulateCall}, but an answered call stays live after `answer` until the stop-call API
   * (`callStop`) or {@link endCall} ends it, which pushes its disconnect and CDR. Needs the `push` option.
   */
  startCall(appKey: string, input: SimulatedCallInput): Promise<LiveCall>;
  /** Ends a live call as a user's hang-up; resolves after its disconnect and CDR pushes' first attempts. */
  endCall(appKey: string, sessionId: string): Promise<void>;
  /** Push delivery counters (all zero without the `push` option). */
  pushStats(): PushStats;
  /** Resolves once every push is delivered or given up. */
  pushesIdle(): Promise<void>;
  /**
   * Creates a binding the client did not make, by the app's mode: AXB needs `b`; AXE takes `extension`
   * (default: the lowest free one).
   */
  bindBehindBack(
    appKey: string,
    binding: { x: string; a: string; b?: string; extension?: string; durationSeconds?: number },
  ): { subscriptionId: string; extension?: string };
  /**
   * Live bindings, optionally of one app key; AX ones with their temporary callee while it lasts, AXE ones
   * with their extension and live call-back record.
   */
  bindings(appKey?: string): SimulatorBinding[];
  stats(): SimulatorStats;
  resetStats(): void;
  /** Subscribes to binding and number-status changes; returns the unsubscribe function. */
  onEvent(listener: (event: StateEvent) => void): () => void;
  /** Stops listening, drops held (timed-out) requests and cancels pending push retries. */
  close(): Promise<void>;
}

/** Runs the HTTP(S) server over a {@link PlatformState}. */
class SimulatorServer implements Simulator {
  url = "";
  controlUrl?: string;
  caCertificate?: string;
  readonly faults: FaultController;
  private readonly state: PlatformState;
  private readonly counter = new RequestCounter();
  private readonly pusher?: Pusher;
  private readonly calls: CallControl;
  private readonly control?: ControlApi;
  /** Answers the platform's HTTP API (`http-handler.ts`). */
  private readonly requestHandler: HttpHandler;
  private server?: http.Server;
  private closed = false;

  constructor(private readonly options: SimulatorOptions) {
    this.state = new PlatformState(
      options.apps,
      options.now ?? Date.now,
      options.abnormalResultCode,
      options.extensionTakenResultCode,
    );
    const verifier = new SignatureVerifier(options.auth);
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
    const now = options.now ?? Date.now;
    this.calls = new CallControl(this.state, this.pusher, now, () => this.url, options.recordings);
    if (options.control !== undefined) this.control = new ControlApi(this, options.apps, options.control);
    this.requestHandler = new HttpHandler({
      state: this.state,
      verifier,
      counter: this.counter,
      faults: this.faults,
      calls: this.calls,
      ...(this.control === undefined ? {} : { control: this.control }),
      ...(rps === undefined ? {} : { requestsPerSecond: rps }),
    });
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? "127.0.0.1";
    const handler = this.requestHandler.onRequest;
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
    server.on("checkContinue", this.requestHandler.onCheckContinue);
    server.on("clientError", this.requestHandler.onClientError);
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
    if (this.control) this.controlUrl = this.url + CONTROL_PATH;
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
    const axe = this.state.axe;
    const axeRoute =
      binding.mode === "AXE" && input.from === "a" ? axe.routeFromA(binding, startMs) : undefined;
    const { call, pushes } = callPushes(
      binding,
      this.state.numberStatus(appKey, binding.x),
      input,
      startMs,
      axeRoute,
    );
    // A caller forwarded to A via X + E (answered or not) is whom A reaches by calling X back (§6).
    if (binding.mode === "AXE" && input.from === "b" && call.pushed.includes("alerting"))
      axe.recordCallback(binding, call.caller, startMs);
    this.calls.noteCdrs(appKey, pushes);
    // One after the other, as a call produces them; a failed push is retried without holding up the rest.
    for (const push of pushes) await pusher.send(push.kind, app.config, push.body);
    return call;
  }

  async simulateXCall(appKey: string, input: XCallInput): Promise<XCall> {
    const pusher = this.pusher;
    const push = this.options.push;
    if (!pusher || !push) throw new Error("simulateXCall needs the push option (where to ask)");
    const app = this.state.app(appKey);
    if (app?.mode !== "X") throw new Error(`"${appKey}" is not an X-mode app`);
    return runXCall(
      {
        app: app.config,
        xStatus: this.state.numberStatus(appKey, input.x),
        callinUrl: this.options.xMode?.callinUrl ?? push.callEventsUrl ?? push.url,
        ...(this.options.xMode?.answerTimeoutMs === undefined
          ? {}
          : { answerTimeoutMs: this.options.xMode.answerTimeoutMs }),
        startMs: (this.options.now ?? Date.now)(),
        wallClockMs: Date.now,
        notify: (p) => pusher.send(p.kind, app.config, p.body),
      },
      input,
    );
  }

  pushStats(): PushStats {
    return this.pusher?.stats() ?? { delivered: 0, failedAttempts: 0, pending: 0, gaveUp: 0 };
  }

  async pushesIdle(): Promise<void> {
    await this.calls.settled();
    return this.pusher?.idle();
  }

  async startCall(appKey: string, input: SimulatedCallInput): Promise<LiveCall> {
    const app = this.state.app(appKey);
    if (!app) throw new Error(`unknown appKey "${appKey}"`);
    return this.calls.start(app, input);
  }

  async endCall(appKey: string, sessionId: string): Promise<void> {
    const app = this.state.app(appKey);
    if (!app) throw new Error(`unknown appKey "${appKey}"`);
    return this.calls.end(app, sessionId);
  }

  bindBehindBack(
    appKey: string,
    binding: { x: string; a: string; b?: string; extension?: string; durationSeconds?: number },
  ): { subscriptionId: string; extension?: string } {
    const app = this.state.app(appKey);
    if (!app) throw new Error(`unknown appKey "${appKey}"`);
    if (app.mode === "AXB" && binding.b === undefined)
      throw new Error("bindBehindBack on an AXB app needs b");
    this.state.sweep();
    const result =
      app.mode === "AXB"
        ? bindAxb(this.state, app, {
            x: binding.x,
            a: binding.a,
            b: binding.b ?? "",
            durationSeconds: binding.durationSeconds ?? 0,
            attrs: {},
          })
        : app.mode === "AXE"
          ? this.state.axe.bind(app, {
              x: binding.x,
              a: binding.a,
              ...(binding.extension === undefined ? {} : { extension: binding.extension }),
              durationSeconds: binding.durationSeconds ?? 0,
              settings: { displayNumMode: "0" },
              attrs: {},
            })
          : bindAx(this.state, app, { x: binding.x, a: binding.a, attrs: {} });
    if (!result.ok) {
      throw new Error(
        `bindBehindBack failed with ${result.code}: ${result.detail ?? codeInfo(result.code).desc}`,
      );
    }
    const { subscriptionId, extension } = result.value;
    return extension === undefined ? { subscriptionId } : { subscriptionId, extension };
  }

  bindings(appKey?: string): SimulatorBinding[] {
    const now = (this.options.now ?? Date.now)();
    return this.state.list(appKey).map((b) => {
      const temp = liveTempCallee(b, now);
      const back = b.mode === "AXE" ? this.state.axe.liveCallback(b, now) : undefined;
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
        ...(b.extension === undefined ? {} : { extension: b.extension }),
        ...(b.y === undefined ? {} : { y: b.y }),
        ...(back === undefined ? {} : { callbackParty: back.caller }),
        ...(back?.expiresAtMs === undefined ? {} : { callbackExpiresAtMs: back.expiresAtMs }),
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
    this.requestHandler.close();
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
