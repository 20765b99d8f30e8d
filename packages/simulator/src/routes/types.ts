import type { z } from "zod";
import type { CallControl } from "../call-control.js";
import { Code } from "../codes.js";
import type { AppState, Mode, PlatformState, Result } from "../state.js";

/** What a route answers: a result code, an optional description and extra top-level JSON fields. */
export interface Reply {
  readonly code: string;
  readonly detail?: string;
  readonly body?: Record<string, unknown>;
  /** HTTP status instead of the code's own, e.g. the redirect of the recording URL. */
  readonly httpStatus?: number;
  readonly headers?: Record<string, string>;
}

export interface RouteContext {
  readonly state: PlatformState;
  readonly app: AppState;
  /** Query-string and body parameters merged (nulls removed). */
  readonly params: Record<string, unknown>;
  /** Recordings and live calls (§12). */
  readonly calls: CallControl;
}

export type Handler = (ctx: RouteContext) => Reply;

/** One platform URI: the mode whose apps may call it (or `any`) and its handler per HTTP method. */
export interface Route {
  readonly mode: Mode | "any";
  readonly methods: Partial<Record<"GET" | "POST" | "PUT" | "DELETE", Handler>>;
}

/** Parses params with a lenient schema; an invalid field becomes `1010002` naming the field. */
export function parse<S extends z.ZodType>(
  schema: S,
  params: Record<string, unknown>,
): { ok: true; value: z.output<S> } | { ok: false; reply: Reply } {
  const parsed = schema.safeParse(params);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") ?? "";
  return {
    ok: false,
    reply: {
      code: Code.invalidRequest,
      detail: `Invalid parameter ${field}: ${issue?.message ?? "invalid"}.`,
    },
  };
}

/** Turns a state result into a reply. */
export function replyOf<T>(result: Result<T>, body: (value: T) => Record<string, unknown>): Reply {
  if (!result.ok) return result.detail === undefined ? { code: result.code } : result;
  return { code: Code.success, body: body(result.value) };
}
