import { type RateLimiter, ValidationError } from "@bindpool/core";
import { z } from "zod";
import { type AxeOptions, AxeOptionsSchema } from "./axe.js";
import { type AxybOptions, validAxybDuration } from "./axyb.js";
import type { RecordingSettings } from "./call-control.js";

/** Options of `HuaweiDriver`. One driver talks to one platform app (one app key). */
export interface HuaweiDriverOptions {
  /** The app's access address ("APP接入地址"), e.g. `https://rtcpns.cn-north-1.myhuaweicloud.com`. */
  readonly baseUrl: string;
  /** APP_Key of the app. */
  readonly appKey: string;
  /** APP_Secret of the app. */
  readonly appSecret: string;
  /**
   * Signing scheme: `aksk` (current, `X-AKSK` header) or `wsse` (legacy, `X-WSSE` header).
   * @default "aksk"
   */
  readonly auth?: "aksk" | "wsse";
  /**
   * Time one request may take, from sending to the full answer, in milliseconds. After it the call
   * returns a `timeout` outcome: the platform may or may not have applied it.
   * @default 10_000
   */
  readonly timeoutMs?: number;
  /**
   * Requests in flight at once from this driver.
   * @default 32
   */
  readonly concurrency?: number;
  /**
   * Requests this driver starts per rolling second (`Infinity`: no local limit). The platform's flow
   * control is per app key and shared by every process; pass `limiter` to share one budget.
   * @default 100
   */
  readonly requestsPerSecond?: number;
  /** A rate budget shared with other processes (e.g. the Redis package's), awaited before every request. */
  readonly limiter?: RateLimiter;
  /**
   * The fetch implementation, e.g. one bound to a proxy dispatcher.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
  /**
   * Clock for the `Created` value of the signature, in ms since the epoch.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * AXE apps: `callbackRecordSeconds` (lifetime of call-back records; default the binding's lifetime)
   * and the fallback of A's call through X with no call-back record, `callbackNum` or `callbackTone`
   * (not both; default neither).
   */
  readonly axe?: AxeOptions;
  /**
   * Record the calls of every binding this driver makes (`recordFlag`), with `hintTone` as the notice
   * (`recordHintTone`; carriers intercept recorded calls without one). The app needs the recording
   * function (else binds fail `invalidParam`, `1012012`) and the tone must be approved (else `1010002`).
   * @default undefined (no recording)
   */
  readonly recording?: RecordingSettings;
  /** AXYB apps: the bind request's field names and the YB lifetime (see `AxybOptions`). */
  readonly axyb?: AxybOptions;
}

const DEFAULTS = { auth: "aksk", timeoutMs: 10_000, concurrency: 32, requestsPerSecond: 100 } as const;

const OptionsSchema = z.strictObject({
  baseUrl: z
    .url({
      protocol: /^https?$/,
      error: "must be an http(s) URL such as https://rtcpns.cn-north-1.myhuaweicloud.com",
    })
    .transform((url) => url.replace(/\/+$/, "")),
  appKey: z.string().min(1, "must be a non-empty string"),
  appSecret: z.string().min(1, "must be a non-empty string"),
  auth: z.enum(["aksk", "wsse"], { error: 'must be "aksk" or "wsse"' }).default(DEFAULTS.auth),
  timeoutMs: z
    .number()
    .int("must be a whole number of milliseconds")
    .positive("must be positive")
    .max(2_147_483_647, "must fit a timer (at most 2147483647)")
    .default(DEFAULTS.timeoutMs),
  concurrency: z
    .number()
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(10_000, "must be at most 10000")
    .default(DEFAULTS.concurrency),
  requestsPerSecond: z
    .union([z.number().int().min(1), z.literal(Number.POSITIVE_INFINITY)], {
      error: "must be a whole number of at least 1, or Infinity",
    })
    .default(DEFAULTS.requestsPerSecond),
  limiter: z
    .custom<RateLimiter>(
      (v) => typeof v === "object" && v !== null && typeof (v as { take?: unknown }).take === "function",
      "must be an object with a take() method",
    )
    .optional(),
  fetch: z.custom<typeof fetch>((v) => typeof v === "function", "must be a function").optional(),
  now: z.custom<() => number>((v) => typeof v === "function", "must be a function").optional(),
  axe: AxeOptionsSchema.optional(),
  recording: z
    .strictObject({
      hintTone: z
        .string()
        .regex(/^[A-Za-z0-9\-_.@]{1,128}$/, "must be an audio file name (A-Z a-z 0-9 - _ . @)")
        .optional(),
    })
    .optional(),
  axyb: z
    .strictObject({
      fields: z
        .strictObject({
          a: z.string().min(1).optional(),
          b: z.string().min(1).optional(),
          x: z.string().min(1).optional(),
          y: z.string().min(1).optional(),
        })
        .optional(),
      ybDurationSeconds: z
        .number()
        .refine(validAxybDuration, "must be 0 or a whole number of seconds from 60 to 7776000")
        .optional(),
    })
    .optional(),
});

/** The options with defaults applied; throws `ValidationError` naming each bad option and its value. */
export function parseDriverOptions(options: HuaweiDriverOptions): z.output<typeof OptionsSchema> {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.join("."),
      message:
        issue.code === "unrecognized_keys"
          ? `${issue.message}; known options: ${Object.keys(OptionsSchema.shape).join(", ")}`
          : `${issue.message} (got ${echo(options, issue.path)})`,
    }));
    throw new ValidationError(
      `Invalid HuaweiDriver options: ${issues.map((i) => `${i.path || "(options)"} ${i.message}`).join("; ")}`,
      issues,
    );
  }
  return parsed.data;
}

/** The offending option value for an error message; the secret is never echoed. */
function echo(options: unknown, path: readonly PropertyKey[]): string {
  if (path[0] === "appSecret") {
    const v = (options as { appSecret?: unknown }).appSecret;
    return typeof v === "string" ? `a string of length ${v.length}` : typeof v;
  }
  let value: unknown = options;
  for (const key of path) {
    value =
      typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  if (typeof value === "function") return "a function";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
