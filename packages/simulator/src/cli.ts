#!/usr/bin/env node
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { z } from "zod";
import {
  configFileSchema,
  describeIssues,
  expandNumbers,
  loadConfigFile,
  type NumberEntry,
} from "./config.js";
import type { FaultOptions } from "./faults.js";
import type { PushOptions } from "./push.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "./server.js";
import type { AppConfig } from "./state.js";

const HELP = `bindpool-sim: a local Huawei Cloud PrivateNumber (AXB, AX, AXE, AXYB, X) sandbox

Usage: bindpool-sim [--config sim.json] [options]

  --config FILE              JSON config file (apps, numbers, options); flags below override it
  --host HOST                interface to listen on (default 127.0.0.1)
  --port PORT                TCP port (default 0: any free port)
  --https                    serve HTTPS with a generated self-signed certificate
  --cert FILE --key FILE     serve HTTPS with this PEM certificate and key
  --ca-out FILE              where to write the generated certificate (default: a temp file)
  --app-key KEY              add an app from flags (with --app-secret, --mode, --numbers)
  --app-secret SECRET
  --mode AXB|AX|AXE|X        mode of that app (default AXB)
  --numbers LIST             comma list of X[*COUNT][:CITY[:PROVINCE]],
                             e.g. "+8613800000001*100:0755:GD,+8613800001000:010:BJ"
  --capacity N               AXB pairs (default 5000) or AXE bindings (default 200) per X
  --extension-digits N       AXE: extension length of numbers from --numbers, 1-4 (default 4)
  --created-window SECONDS   accepted Created skew (default 29700 = 8h15m)
  --reject-replayed-nonce    reject a nonce seen before (off by default)
  --rate-limit QPS           platform flow control per app key (answers 1010010 above it)
  --latency MS|MIN-MAX       added latency per request
  --timeout-rate R           share of requests held without an answer (0..1)
  --hang-ms MS               answer held requests after MS instead of never
  --server-error-rate R      share answered HTTP 500 / 1010001
  --flow-control-rate R      share answered 1010010
  --seed N                   seed of the fault dice
  --abnormal-code CODE       result code of binds on an abnormal X (default 1012102)
  --push-url URL             receiver of every push (call events, CDRs, X status)
  --push-call-events-url URL receiver of call events (default --push-url)
  --push-fee-url URL         receiver of CDRs (default --push-url)
  --push-status-url URL      receiver of X status pushes (default --push-url)
  --push-retry-schedule LIST retry delays in ms, comma separated (default 1,4,9,106,203,300 min)
  --push-time-scale F        factor on every retry delay (e.g. 0.001)
  --push-timeout-ms MS       time one push attempt may take (default 10000)
  --callin-url URL           X mode: receiver of the Block callin (default the call-events URL)
  --callin-timeout-ms MS     X mode: how long the answer is awaited (default 5000)
  --control-token TOKEN      enable the control API under /sim (Authorization: Bearer TOKEN)
  -h, --help
`;

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${value}"`);
  return n;
}

/** Parses `X[*COUNT][:CITY[:PROVINCE]]` items. */
function parseNumbersFlag(list: string, capacity?: number, extensionDigits?: number): NumberEntry[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((item) => {
      const [head = "", city, province] = item.split(":");
      const [x = "", count] = head.split("*");
      if (!/^\+?\d{4,31}$/.test(x)) throw new Error(`--numbers: "${x}" is not a number in global format`);
      return {
        x,
        ...(count === undefined ? {} : { count: Number(count) }),
        ...(city ? { city } : {}),
        ...(province ? { province } : {}),
        ...(capacity === undefined ? {} : { capacity }),
        ...(extensionDigits === undefined ? {} : { extensionDigits }),
      };
    });
}

/** Validates options built from flags with the config file's schema, so both refuse the same values. */
function checked<S extends z.ZodType>(flags: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`--${flags}-*: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** The config file's `push` with the --push-* flags over it. */
function pushFromFlags(
  base: PushOptions | undefined,
  values: Record<string, string | boolean | undefined>,
): PushOptions | undefined {
  const flag = (name: string) => {
    const value = values[name];
    return typeof value === "string" ? value : undefined;
  };
  const schedule = flag("push-retry-schedule");
  const timeScale = num("push-time-scale", flag("push-time-scale"));
  const timeoutMs = num("push-timeout-ms", flag("push-timeout-ms"));
  const overlay = {
    ...(flag("push-url") === undefined ? {} : { url: flag("push-url") }),
    ...(flag("push-call-events-url") === undefined ? {} : { callEventsUrl: flag("push-call-events-url") }),
    ...(flag("push-fee-url") === undefined ? {} : { feeUrl: flag("push-fee-url") }),
    ...(flag("push-status-url") === undefined ? {} : { statusUrl: flag("push-status-url") }),
    ...(schedule === undefined
      ? {}
      : {
          retryScheduleMs: schedule
            .split(",")
            .filter((v) => v.trim() !== "")
            .map((v) => num("push-retry-schedule", v) ?? 0),
        }),
    ...(timeScale === undefined ? {} : { timeScale }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  if (base === undefined && Object.keys(overlay).length === 0) return undefined;
  if (base === undefined && overlay.url === undefined)
    throw new Error("--push-* flags need --push-url (or push.url in the config file)");
  return checked("push", configFileSchema.shape.push, { ...base, ...overlay });
}

interface CliRun {
  readonly options: SimulatorOptions;
  /** Where to write the generated certificate. */
  readonly caOut?: string;
}

/** Builds simulator options from argv (flags override the config file). */
function parseCli(argv: string[]): CliRun | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      https: { type: "boolean" },
      cert: { type: "string" },
      key: { type: "string" },
      "ca-out": { type: "string" },
      "app-key": { type: "string" },
      "app-secret": { type: "string" },
      mode: { type: "string" },
      numbers: { type: "string" },
      capacity: { type: "string" },
      "extension-digits": { type: "string" },
      "created-window": { type: "string" },
      "reject-replayed-nonce": { type: "boolean" },
      "rate-limit": { type: "string" },
      latency: { type: "string" },
      "timeout-rate": { type: "string" },
      "hang-ms": { type: "string" },
      "server-error-rate": { type: "string" },
      "flow-control-rate": { type: "string" },
      seed: { type: "string" },
      "abnormal-code": { type: "string" },
      "push-url": { type: "string" },
      "push-call-events-url": { type: "string" },
      "push-fee-url": { type: "string" },
      "push-status-url": { type: "string" },
      "push-retry-schedule": { type: "string" },
      "push-time-scale": { type: "string" },
      "push-timeout-ms": { type: "string" },
      "callin-url": { type: "string" },
      "callin-timeout-ms": { type: "string" },
      "control-token": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const base: SimulatorOptions = values.config ? loadConfigFile(values.config) : { apps: [] };
  const apps: AppConfig[] = [...base.apps];
  if (values["app-key"] !== undefined) {
    const secret = values["app-secret"];
    if (!secret) throw new Error("--app-key needs --app-secret");
    if (!values.numbers) throw new Error("--app-key needs --numbers");
    const mode = (values.mode ?? "AXB").toUpperCase();
    if (mode !== "AXB" && mode !== "AX" && mode !== "AXE" && mode !== "X")
      throw new Error(`--mode must be AXB, AX, AXE or X, got "${values.mode}"`);
    const app: AppConfig = {
      appKey: values["app-key"],
      appSecret: secret,
      mode,
      numbers: expandNumbers(
        parseNumbersFlag(
          values.numbers,
          num("capacity", values.capacity),
          num("extension-digits", values["extension-digits"]),
        ),
      ),
    };
    const i = apps.findIndex((a) => a.appKey === app.appKey);
    if (i >= 0) apps[i] = app;
    else apps.push(app);
  }
  if (apps.length === 0)
    throw new Error("no app configured: use --config FILE or --app-key/--app-secret/--numbers");

  const faults: FaultOptions = { ...base.faults };
  if (values.latency !== undefined) {
    const [min, max] = values.latency.split("-").map((v) => num("latency", v) ?? 0);
    faults.latencyMs = max === undefined ? (min ?? 0) : [min ?? 0, max];
  }
  const timeoutRate = num("timeout-rate", values["timeout-rate"]);
  if (timeoutRate !== undefined) faults.timeoutRate = timeoutRate;
  const hangMs = num("hang-ms", values["hang-ms"]);
  if (hangMs !== undefined) faults.hangMs = hangMs;
  const serverErrorRate = num("server-error-rate", values["server-error-rate"]);
  if (serverErrorRate !== undefined) faults.serverErrorRate = serverErrorRate;
  const flowControlRate = num("flow-control-rate", values["flow-control-rate"]);
  if (flowControlRate !== undefined) faults.flowControlRate = flowControlRate;
  const seed = num("seed", values.seed);
  if (seed !== undefined) faults.seed = seed;

  let httpsOption = base.https;
  if (values.cert !== undefined || values.key !== undefined) {
    if (!values.cert || !values.key) throw new Error("--cert and --key go together");
    httpsOption = { cert: readFileSync(values.cert, "utf8"), key: readFileSync(values.key, "utf8") };
  } else if (values.https) {
    httpsOption = true;
  }
  const createdWindow = num("created-window", values["created-window"]);
  const push = pushFromFlags(base.push, values);
  const callinTimeout = num("callin-timeout-ms", values["callin-timeout-ms"]);
  const xMode = checked("callin", configFileSchema.shape.xMode, {
    ...base.xMode,
    ...(values["callin-url"] === undefined ? {} : { callinUrl: values["callin-url"] }),
    ...(callinTimeout === undefined ? {} : { answerTimeoutMs: callinTimeout }),
  });
  const control =
    values["control-token"] === undefined
      ? base.control
      : checked("control", configFileSchema.shape.control, { token: values["control-token"] });
  const rps = num("rate-limit", values["rate-limit"]);
  const port = num("port", values.port);
  const options: SimulatorOptions = {
    ...base,
    apps,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(port === undefined ? {} : { port }),
    ...(httpsOption === undefined ? {} : { https: httpsOption }),
    auth: {
      ...base.auth,
      ...(createdWindow === undefined ? {} : { createdWindowSeconds: createdWindow }),
      ...(values["reject-replayed-nonce"] ? { rejectReplayedNonce: true } : {}),
    },
    ...(rps === undefined ? {} : { rateLimit: { requestsPerSecond: rps } }),
    faults,
    ...(values["abnormal-code"] === undefined ? {} : { abnormalResultCode: values["abnormal-code"] }),
    ...(push === undefined ? {} : { push }),
    ...(xMode === undefined || Object.keys(xMode).length === 0 ? {} : { xMode }),
    ...(control === undefined ? {} : { control }),
  };
  return values["ca-out"] === undefined ? { options } : { options, caOut: values["ca-out"] };
}

/** What the simulator serves, printed on start: one write, the "listening" line first. */
function banner(sim: Simulator, options: SimulatorOptions, caOut: string | undefined): string {
  const lines = [`bindpool-sim listening on ${sim.url}`];
  for (const app of options.apps) {
    lines.push(`  app ${app.appKey} (${app.mode}): ${app.numbers.length} numbers`);
  }
  if (caOut !== undefined) lines.push(`  self-signed certificate (trust it in your client): ${caOut}`);
  const push = options.push;
  if (push !== undefined) {
    lines.push(
      `  pushes: call events -> ${push.callEventsUrl ?? push.url}, CDRs -> ${push.feeUrl ?? push.url}, ` +
        `X status -> ${push.statusUrl ?? push.url}`,
    );
    if (options.apps.some((a) => a.mode === "X"))
      lines.push(`  X-mode callin -> ${options.xMode?.callinUrl ?? push.callEventsUrl ?? push.url}`);
  } else {
    lines.push("  pushes: off (no push.url)");
  }
  lines.push(
    sim.controlUrl === undefined
      ? "  control API: off (set control.token or --control-token)"
      : `  control API: ${sim.controlUrl} (Authorization: Bearer <control token>)`,
  );
  lines.push("  stop with Ctrl-C or SIGTERM");
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  let run: CliRun | "help";
  try {
    run = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bindpool-sim: ${(err as Error).message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  if (run === "help") {
    process.stdout.write(HELP);
    return;
  }
  const { options } = run;
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (err) {
    // A port in use or a bad option value: say so, not a stack trace of an unhandled rejection.
    process.stderr.write(`bindpool-sim: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  let caOut: string | undefined;
  if (sim.caCertificate && options.https === true) {
    caOut = run.caOut ?? join(tmpdir(), `bindpool-sim-ca-${process.pid}.pem`);
    writeFileSync(caOut, sim.caCertificate);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while closing does not wait for the first.
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`bindpool-sim: ${signal}, stopping\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Last: whoever waits for the banner may signal at once, and the handlers must be there by then.
  process.stdout.write(banner(sim, options, caOut));
}

void main();
