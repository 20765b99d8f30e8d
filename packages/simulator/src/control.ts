import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { SimulatedCallInput } from "./calls.js";
import { describeIssues, faultsSchema } from "./config.js";
import { type RequestTarget, readBody } from "./request.js";
import type { Simulator, SimulatorBinding } from "./server.js";
import { type AppConfig, NUMBER_STATUS_CODE } from "./state.js";

// The control API: what a test or a developer does to the platform that the platform's own API cannot
// (a user dials X, a number is made abnormal, the platform fails). A thin JSON layer over the
// programmatic `Simulator` API, under a path no platform API uses (they all start with `/rest/`).

/** Base path of the control API. */
export const CONTROL_PATH = "/sim";

/** Options of the control API; without them it is off and `/sim/...` answers 404 like any unknown path. */
export interface ControlOptions {
  /** Every control request must carry `Authorization: Bearer <token>`. */
  readonly token: string;
}

/** Whether a request path belongs to the control API. */
export function isControlPath(path: string): boolean {
  return path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`);
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const Phone = z.string().regex(/^\+?\d{4,31}$/, { error: "must be a number in global format" });
const AppKey = z.string().min(1);

const CallBody = z.strictObject({
  appKey: AppKey.optional(),
  subscriptionId: z.string().min(1).optional(),
  from: z.enum(["a", "b"]).optional(),
  x: Phone.optional(),
  caller: Phone.optional(),
  extension: z
    .string()
    .regex(/^\d{1,4}$/, { error: "must be 1-4 digits" })
    .optional(),
  peer: Phone.optional(),
  answered: z.boolean().optional(),
  durationSeconds: z.number().int().min(0).max(86_400).optional(),
  hold: z.boolean().optional(),
});
const EndCallBody = z.strictObject({ sessionId: z.string().min(1), appKey: AppKey.optional() });
const StatusBody = z.strictObject({
  appKey: AppKey.optional(),
  x: Phone,
  status: z.enum(["normal", "paused", "abnormal", "frozen"]),
  cause: z.number().int().min(0).optional(),
});

type Handler = (input: { body: unknown; query: URLSearchParams }) => Promise<object> | object;

/** Serves the control API of one simulator. */
export class ControlApi {
  readonly #sim: Simulator;
  readonly #apps: readonly AppConfig[];
  readonly #tokenHash: Buffer;
  readonly #routes: ReadonlyMap<string, Partial<Record<string, Handler>>>;

  constructor(sim: Simulator, apps: readonly AppConfig[], options: ControlOptions) {
    if (typeof options?.token !== "string" || options.token === "")
      throw new RangeError("control.token must be a non-empty string");
    this.#sim = sim;
    this.#apps = apps;
    this.#tokenHash = sha256(options.token);
    this.#routes = new Map<string, Partial<Record<string, Handler>>>([
      ["/bindings", { GET: ({ query }) => ({ bindings: this.#bindings(query.get("appKey") ?? undefined) }) }],
      ["/calls", { POST: ({ body }) => this.#call(parse(CallBody, body)) }],
      ["/calls/end", { POST: ({ body }) => this.#endCall(parse(EndCallBody, body)) }],
      ["/numbers/status", { POST: ({ body }) => this.#setStatus(parse(StatusBody, body)) }],
      [
        "/faults",
        {
          GET: () => ({ faults: this.#sim.faults.current }),
          POST: ({ body }) => {
            const faults = parse(faultsSchema, body);
            this.#sim.faults.set(faults);
            return { faults: this.#sim.faults.current };
          },
          DELETE: () => {
            this.#sim.faults.reset();
            return { faults: this.#sim.faults.current };
          },
        },
      ],
      [
        "/stats",
        {
          GET: () => this.#stats(),
          DELETE: () => {
            this.#sim.resetStats();
            return this.#stats();
          },
        },
      ],
    ]);
  }

  /** Answers one control request (its path starts with {@link CONTROL_PATH}). */
  async handle(req: IncomingMessage, res: ServerResponse, target: RequestTarget): Promise<void> {
    try {
      const body = await readBody(req);
      this.#authorize(req);
      const route = this.#routes.get(target.path.slice(CONTROL_PATH.length));
      if (!route) throw new ControlError(404, `unknown control path ${target.path}`);
      const method = (req.method ?? "GET").toUpperCase();
      const handler = route[method];
      if (!handler) {
        const allow = Object.keys(route).join(", ");
        throw new ControlError(405, `${method} not allowed on ${target.path} (allowed: ${allow})`, {
          Allow: allow,
        });
      }
      if ("tooLarge" in body) throw new ControlError(413, "request body exceeds 1 MiB");
      send(res, 200, await handler({ body: parseJson(body.text), query: target.query }));
    } catch (err) {
      if (err instanceof ControlError) return send(res, err.status, { error: err.message }, err.headers);
      send(res, 500, { error: (err as Error).message });
    }
  }

  #authorize(req: IncomingMessage): void {
    const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "");
    // Hashes have equal length, so the comparison takes the same time whatever the token sent.
    if (!match?.[1] || !timingSafeEqual(sha256(match[1]), this.#tokenHash)) {
      throw new ControlError(401, "the control API needs Authorization: Bearer <control.token>", {
        "WWW-Authenticate": 'Bearer realm="bindpool-sim"',
      });
    }
  }

  #bindings(appKey: string | undefined): SimulatorBinding[] {
    if (appKey !== undefined) this.#app(appKey);
    return this.#sim.bindings(appKey);
  }

  async #call(input: z.output<typeof CallBody>): Promise<object> {
    const { hold, appKey: askedApp, ...rest } = input;
    const options = {
      ...(rest.answered === undefined ? {} : { answered: rest.answered }),
      ...(rest.durationSeconds === undefined ? {} : { durationSeconds: rest.durationSeconds }),
    };
    if (rest.subscriptionId === undefined && (rest.x === undefined || rest.caller === undefined))
      throw new ControlError(400, "give x and caller (who dials X), or subscriptionId and from");
    if (rest.subscriptionId === undefined) {
      const app = this.#appOfX(rest.x!, askedApp);
      if (app.mode === "X") {
        if (hold) throw new ControlError(400, "hold is not supported for X-mode calls");
        const call = await this.#pushing(() =>
          this.#sim.simulateXCall(app.appKey, { x: rest.x!, caller: rest.caller!, ...options }),
        );
        return { appKey: app.appKey, ...call };
      }
    }
    const { binding, from, peer } = this.#callRoute(rest, askedApp);
    const call: SimulatedCallInput = {
      subscriptionId: binding.subscriptionId,
      from,
      ...(peer === undefined ? {} : { peer }),
      ...options,
    };
    const result = await this.#pushing(() =>
      hold ? this.#sim.startCall(binding.appKey, call) : this.#sim.simulateCall(binding.appKey, call),
    );
    return { appKey: binding.appKey, subscriptionId: binding.subscriptionId, ...result };
  }

  /**
   * The binding a call runs over and who dials: by subscriptionId, or as the platform routes it, by the
   * X dialled and the caller (A or B of a binding on X; anyone else reaches A of an AX or AXE binding).
   */
  #callRoute(
    input: Omit<z.output<typeof CallBody>, "hold" | "appKey">,
    appKey: string | undefined,
  ): { binding: SimulatorBinding; from: "a" | "b"; peer?: string } {
    if (input.subscriptionId !== undefined) {
      if (input.from === undefined) throw new ControlError(400, "a call by subscriptionId needs from: a | b");
      const binding = this.#sim.bindings(appKey).find((b) => b.subscriptionId === input.subscriptionId);
      if (!binding) throw new ControlError(404, `no live binding ${input.subscriptionId}`);
      return { binding, from: input.from, ...(input.peer === undefined ? {} : { peer: input.peer }) };
    }
    const x = input.x!;
    const caller = input.caller!;
    const app = this.#appOfX(x, appKey);
    const onX = this.#sim.bindings(app.appKey).filter((b) => b.x === x);
    const asUser = onX.filter((b) => b.a === caller || b.b === caller);
    if (asUser.length === 1) return { binding: asUser[0]!, from: asUser[0]!.a === caller ? "a" : "b" };
    const asPeer =
      asUser.length === 0 && (app.mode === "AX" || app.mode === "AXE")
        ? onX.filter((b) => input.extension === undefined || b.extension === input.extension)
        : [];
    if (asPeer.length === 1) return { binding: asPeer[0]!, from: "b", peer: caller };
    if (asUser.length > 1 || asPeer.length > 1)
      throw new ControlError(
        400,
        `${caller} calling ${x} matches ${Math.max(asUser.length, asPeer.length)} bindings: give subscriptionId (or extension)`,
      );
    throw new ControlError(404, `no live binding on ${x} that ${caller} can call through`);
  }

  async #endCall(input: z.output<typeof EndCallBody>): Promise<object> {
    const keys =
      input.appKey === undefined ? this.#apps.map((a) => a.appKey) : [this.#app(input.appKey).appKey];
    for (const appKey of keys) {
      try {
        await this.#sim.endCall(appKey, input.sessionId);
        return { appKey, sessionId: input.sessionId, ended: true };
      } catch {
        // Not this app's call: the session IDs of the other apps are tried.
      }
    }
    throw new ControlError(404, `no live call ${input.sessionId}`);
  }

  #setStatus(input: z.output<typeof StatusBody>): object {
    const app = this.#appOfX(input.x, input.appKey);
    this.#sim.setNumberStatus(app.appKey, input.x, input.status, input.cause);
    return {
      appKey: app.appKey,
      x: input.x,
      status: input.status,
      statusCode: NUMBER_STATUS_CODE[input.status],
      ...(input.cause === undefined ? {} : { cause: input.cause }),
    };
  }

  #stats(): object {
    return { platform: this.#sim.stats(), pushes: this.#sim.pushStats() };
  }

  #app(appKey: string): AppConfig {
    const app = this.#apps.find((a) => a.appKey === appKey);
    if (!app) throw new ControlError(404, `unknown appKey "${appKey}"`);
    return app;
  }

  #appOfX(x: string, appKey: string | undefined): AppConfig {
    const apps = appKey === undefined ? this.#apps : [this.#app(appKey)];
    const app = apps.find((a) => a.numbers.some((n) => n.x === x));
    if (!app)
      throw new ControlError(
        404,
        `${x} is not a number of ${appKey === undefined ? "any app" : `app "${appKey}"`}`,
      );
    return app;
  }

  /** Runs a call, turning the simulator's refusals into answers. */
  async #pushing<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const message = (err as Error).message;
      // Without push targets a call has nowhere to go: the setup, not the request, is to fix.
      if (/needs the push option/.test(message))
        throw new ControlError(409, "calls need push targets: set push.url in the config (or --push-url)");
      // The binding expired or was unbound since it was looked up.
      if (/no live binding/.test(message)) throw new ControlError(404, message);
      throw new ControlError(400, message);
    }
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError(400, "request body is not valid JSON");
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ControlError(400, `invalid request: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function send(res: ServerResponse, status: number, json: object, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const payload = JSON.stringify(json);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}
