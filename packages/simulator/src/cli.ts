#!/usr/bin/env node
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { expandNumbers, loadConfigFile, type NumberEntry } from "./config.js";
import type { FaultOptions } from "./faults.js";
import { type SimulatorOptions, startSimulator } from "./server.js";
import type { AppConfig } from "./state.js";

const HELP = `bindpool-sim: a local Huawei Cloud PrivateNumber (AXB, AX, AXE) sandbox

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
  };
  return values["ca-out"] === undefined ? { options } : { options, caOut: values["ca-out"] };
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
  const sim = await startSimulator(options);
  process.stdout.write(`bindpool-sim listening on ${sim.url}\n`);
  for (const app of options.apps) {
    process.stdout.write(`  app ${app.appKey} (${app.mode}): ${app.numbers.length} numbers\n`);
  }
  if (sim.caCertificate && options.https === true) {
    const caOut = run.caOut ?? join(tmpdir(), `bindpool-sim-ca-${process.pid}.pem`);
    writeFileSync(caOut, sim.caCertificate);
    process.stdout.write(`  self-signed certificate (trust it in your client): ${caOut}\n`);
  }
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
