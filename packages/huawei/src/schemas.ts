import type { Failure } from "@bindpool/core";
import { z } from "zod";
import type { Answer } from "./http.js";
import { LOCAL_CODES } from "./http.js";

/** An integer the platform may send as a JSON number or as a numeric string. */
export const IntegerField = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

/** A string field that some answers leave out or send as `null`. */
export const OptionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** Parses the body of a successful answer; a body that does not fit is an `unknown` failure. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  answer: Extract<Answer, { kind: "ok" }>,
  what: string,
): { ok: true; value: T } | { ok: false; failure: Failure } {
  const parsed = schema.safeParse(answer.body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
  return {
    ok: false,
    failure: {
      kind: "unknown",
      code: LOCAL_CODES.malformed,
      message: `the platform answered ${what} with success but an unexpected body (${issues})`,
    },
  };
}

const PLATFORM_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Milliseconds since the epoch of a platform time (`yyyy-MM-dd HH:mm:ss`, UTC as in notifications and
 * CDRs; the query's `subscribeTime` zone is unconfirmed and read the same way), undefined if malformed.
 */
export function parsePlatformTime(text: string): number | undefined {
  if (!PLATFORM_TIME.test(text)) return undefined;
  const ms = Date.parse(`${text.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
