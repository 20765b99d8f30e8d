import { z } from "zod";

/**
 * Lenient field schemas (§16): clients send numbers as strings and strings as numbers, `null` or `""` for
 * absent fields, `true` or `"true"` for flags, and `+` unescaped in query strings (decoded as a space).
 */

function absent(v: unknown): boolean {
  return v === null || v === undefined || v === "";
}

function toText(v: unknown): unknown {
  if (absent(v)) return undefined;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v;
}

/** A phone number in global format; a leading space (an unescaped `+` in a query string) becomes `+`. */
function toPhone(v: unknown): unknown {
  const text = toText(v);
  if (typeof text !== "string") return text;
  if (/^ \d+$/.test(text)) return `+${text.slice(1)}`;
  return text.trim();
}

const PHONE_RE = /^\+?\d{4,31}$/;

export const phone = z.preprocess(
  toPhone,
  z.string({ error: "is required" }).regex(PHONE_RE, { error: "is not a phone number in global format" }),
);
export const optPhone = phone.optional();

/** Optional text with a maximum length. */
export function optText(max = 256) {
  return z.preprocess(toText, z.string().max(max).optional());
}

/** Optional integer in [min, max]; numeric strings accepted. */
export function optInt(min: number, max: number) {
  return z.preprocess((v) => {
    if (absent(v)) return undefined;
    if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
    return v;
  }, z.number().int().min(min).max(max).optional());
}

/** Optional boolean flag: `true`, `"true"`, `1`, `"1"` and their opposites. */
export const optFlag = z.preprocess((v) => {
  if (absent(v)) return undefined;
  if (v === true || v === "true" || v === 1 || v === "1") return true;
  if (v === false || v === "false" || v === 0 || v === "0") return false;
  return v;
}, z.boolean().optional());

/** `areaMatchMode`: `0` strict or `1` fallback, as string or number. */
export const optMatchMode = z.preprocess(
  (v) => (absent(v) ? undefined : Number(v)),
  z.union([z.literal(0), z.literal(1)]).optional(),
);

/** `userData`: a string (objects are JSON-encoded, as some clients send them). */
export const optUserData = z.preprocess((v) => {
  if (absent(v)) return undefined;
  if (typeof v === "object") return JSON.stringify(v);
  return toText(v);
}, z.string().max(256).optional());

/** `preVoice`: `{callerHintTone, calleeHintTone}`, or the same as a JSON string. */
export const optPreVoice = z.preprocess((v) => {
  if (absent(v)) return undefined;
  if (typeof v === "string") {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}, z.object({ callerHintTone: optText(128), calleeHintTone: optText(128) }).optional());

/** Paging of queries (§4.4): pageIndex from 1 (default 1), pageSize 10..100, otherwise 50. */
export function pageOf(params: Record<string, unknown>): { index: number; size: number } {
  const index = Number(params.pageIndex);
  const size = Number(params.pageSize);
  return {
    index: Number.isInteger(index) && index >= 1 ? index : 1,
    size: Number.isInteger(size) && size >= 10 && size <= 100 ? size : 50,
  };
}

/** Removes undefined values so optional fields are absent from JSON answers. */
export function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}
