import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { SimulatorOptions } from "./server.js";
import type { NumberConfig } from "./state.js";

const rate = z.number().min(0).max(1);
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

const numberEntry = z.strictObject({
  x: z.string().regex(/^\+?\d{4,31}$/, { error: "must be a number in global format, e.g. +8613800000001" }),
  /** Expands to `count` consecutive numbers starting at `x`. */
  count: z.number().int().min(1).max(1_000_000).optional(),
  city: z.string().optional(),
  province: z.string().optional(),
  capacity: z.number().int().min(1).optional(),
  status: z.enum(["normal", "paused", "abnormal", "frozen"]).optional(),
  /** AXE: extension length of X, 1-4 digits (default 4). */
  extensionDigits: z.number().int().min(1).max(4).optional(),
});

const appEntry = z.strictObject({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  mode: z.enum(["AXB", "AX", "AXE", "AXYB", "X"]),
  numbers: z.array(numberEntry).min(1),
  /** AXE: one A may sit behind two extensions of one X (default false: `1012010`). */
  allowRepeatedA: z.boolean().optional(),
  /** Whether the app has the recording function (default true). */
  recording: z.boolean().optional(),
  /** Tone files approved in the console; absent: any name (§4.1: digits, letters and - _ . @ only). */
  approvedToneFiles: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9\-_.@]{1,128}$/, { error: "must be an audio file name (A-Z a-z 0-9 - _ . @)" }),
    )
    .optional(),
});

/** The JSON config file of the CLI (see README). Paths are relative to the file. */
/** Injected faults, as the config file's `faults` and the control API's `POST /sim/faults` take them. */
export const faultsSchema = z.strictObject({
  latencyMs: z.union([z.number().min(0), z.tuple([z.number().min(0), z.number().min(0)])]).optional(),
  timeoutRate: rate.optional(),
  hangMs: z.number().min(0).optional(),
  timeoutTakesEffect: z.boolean().optional(),
  serverErrorRate: rate.optional(),
  flowControlRate: rate.optional(),
  seed: z.number().int().optional(),
});

export const configFileSchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  https: z
    .union([
      z.boolean(),
      z.strictObject({ certFile: z.string(), keyFile: z.string() }),
      z.strictObject({ cert: z.string(), key: z.string() }),
    ])
    .optional(),
  auth: z
    .strictObject({
      createdWindowSeconds: z.number().min(0).optional(),
      rejectReplayedNonce: z.boolean().optional(),
    })
    .optional(),
  rateLimit: z.strictObject({ requestsPerSecond: z.number().positive() }).optional(),
  faults: faultsSchema.optional(),
  abnormalResultCode: z.string().regex(/^\d+$/).optional(),
  extensionTakenResultCode: z.string().regex(/^\d+$/).optional(),
  recordings: z
    .strictObject({
      redirectStatus: z
        .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
        .optional(),
      retentionSeconds: z.number().min(0).optional(),
    })
    .optional(),
  /** Where to push call events, CDRs and X status (the console's receiver URLs, §11). */
  push: z
    .strictObject({
      url: httpUrl,
      callEventsUrl: httpUrl.optional(),
      feeUrl: httpUrl.optional(),
      statusUrl: httpUrl.optional(),
      retryScheduleMs: z.array(z.number().min(0)).max(6).optional(),
      timeScale: z.number().min(0).optional(),
      timeoutMs: z.number().positive().optional(),
    })
    .optional(),
  /** X mode: where the Block `callin` goes and how long the platform waits for the answer. */
  xMode: z
    .strictObject({
      callinUrl: httpUrl.optional(),
      answerTimeoutMs: z.number().positive().optional(),
    })
    .optional(),
  /** The control API under `/sim` (off without it). */
  control: z.strictObject({ token: z.string().min(1) }).optional(),
  apps: z.array(appEntry).default([]),
});

export type ConfigFile = z.input<typeof configFileSchema>;
export type NumberEntry = z.output<typeof numberEntry>;

/** Expands `{x, count}` entries into single numbers (x, x+1, ...), keeping the other fields. */
export function expandNumbers(entries: readonly NumberEntry[]): NumberConfig[] {
  const out: NumberConfig[] = [];
  for (const { count, x, ...rest } of entries) {
    if (count === undefined || count === 1) {
      out.push({ x, ...rest });
      continue;
    }
    const plus = x.startsWith("+") ? "+" : "";
    const digits = x.slice(plus.length);
    const start = BigInt(digits);
    for (let i = 0; i < count; i++) {
      out.push({ x: plus + (start + BigInt(i)).toString().padStart(digits.length, "0"), ...rest });
    }
  }
  return out;
}

/** Turns parsed config JSON into {@link SimulatorOptions}; `baseDir` resolves certificate paths. */
export function optionsFromConfig(json: unknown, baseDir = process.cwd()): SimulatorOptions {
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid config: ${describeIssues(parsed.error.issues)}`);
  const c = parsed.data;
  let httpsOption: SimulatorOptions["https"];
  if (typeof c.https === "object" && "certFile" in c.https) {
    httpsOption = {
      cert: readFileSync(resolve(baseDir, c.https.certFile), "utf8"),
      key: readFileSync(resolve(baseDir, c.https.keyFile), "utf8"),
    };
  } else {
    httpsOption = c.https;
  }
  const latency = c.faults?.latencyMs;
  return {
    ...(c.host === undefined ? {} : { host: c.host }),
    ...(c.port === undefined ? {} : { port: c.port }),
    ...(httpsOption === undefined ? {} : { https: httpsOption }),
    ...(c.auth === undefined ? {} : { auth: c.auth }),
    ...(c.rateLimit === undefined ? {} : { rateLimit: c.rateLimit }),
    ...(c.faults === undefined
      ? {}
      : { faults: { ...c.faults, ...(latency === undefined ? {} : { latencyMs: latency }) } }),
    ...(c.abnormalResultCode === undefined ? {} : { abnormalResultCode: c.abnormalResultCode }),
    ...(c.extensionTakenResultCode === undefined
      ? {}
      : { extensionTakenResultCode: c.extensionTakenResultCode }),
    ...(c.recordings === undefined ? {} : { recordings: c.recordings }),
    ...(c.push === undefined ? {} : { push: c.push }),
    ...(c.xMode === undefined ? {} : { xMode: c.xMode }),
    ...(c.control === undefined ? {} : { control: c.control }),
    apps: c.apps.map((app) => ({ ...app, numbers: expandNumbers(app.numbers) })),
  };
}

/**
 * Every issue, each with its path: an unknown key is named (`at apps.0: Unrecognized key: "mdoe"`), and
 * within a union (`https`) the branch closest to the input speaks rather than a bare "Invalid input".
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string {
  return issues
    .map((issue) => {
      const path = [...prefix, ...issue.path];
      if (issue.code === "invalid_union" && issue.errors.length > 0) {
        // The branch the user most likely meant: of the right type, then with the fewest issues.
        const score = (branch: readonly z.core.$ZodIssue[]) =>
          branch.length + (branch.some((i) => i.code === "invalid_type" && i.path.length === 0) ? 1000 : 0);
        const closest = [...issue.errors].sort((p, q) => score(p) - score(q))[0]!;
        return describeIssues(closest, path);
      }
      return `at ${path.map(String).join(".") || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}

/** Reads and validates a JSON config file. */
export function loadConfigFile(path: string): SimulatorOptions {
  const text = readFileSync(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return optionsFromConfig(json, dirname(resolve(path)));
}
