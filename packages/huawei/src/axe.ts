import type { Failure, Outcome, Phone, PlatformBinding, QueryResult } from "@bindpool/core";
import { z } from "zod";
import type { PlatformClient } from "./http.js";
import { IntegerField, OptionalString, parseBody, parsePlatformTime } from "./schemas.js";

/** The AXE binding URI (bind POST, unbind DELETE, modify PUT, query GET v1.0). */
export const AXE_PATH = "/rest/caas/extendnumber/v1.0";
/** The AXE query with cursor paging over one X. */
export const AXE_V2_PATH = "/rest/caas/extendnumber/v2.0";
/** Bindings asked for per v2.0 page (the range of `limit` is undocumented; 100 as the other modes' pages). */
export const AXE_PAGE_LIMIT = 100;
/** A v2.0 cursor: 13 digits, `_`, 1-20 digits; the first is `0000000000000_0`. */
export const AXE_CURSOR_RE = /^\d{13}_\d{1,20}$/;

/** Options of {@link HuaweiDriver} for AXE apps. */
export const AxeOptionsSchema = z
  .strictObject({
    /**
     * How long a call-back record lasts (the caller who reached A through X + E is whom A reaches by
     * calling X), seconds, sent rounded up to whole minutes. Default: the binding's lifetime.
     */
    callbackRecordSeconds: z
      .number()
      .int("must be a whole number of seconds")
      .positive("must be positive")
      .optional(),
    /** Where A's call through X goes when no call-back record is live. Exclusive with `callbackTone`. */
    callbackNum: z
      .string()
      .regex(/^\+\d{4,31}$/, "must be a number in global format, e.g. +8613800000001")
      .optional(),
    /** The approved tone A hears calling X with no call-back record. Exclusive with `callbackNum`. */
    callbackTone: z
      .string()
      .regex(/^[A-Za-z0-9._@-]{1,128}$/, "must be an audio file name (letters, digits, - _ . @)")
      .optional(),
  })
  .refine((o) => o.callbackNum === undefined || o.callbackTone === undefined, {
    error: "callbackNum and callbackTone exclude each other: set one",
  });
export type AxeOptions = z.input<typeof AxeOptionsSchema>;

const BindResponse = z.looseObject({
  subscriptionId: z.string().min(1),
  virtualNum: OptionalString,
  extendNum: OptionalString,
});

/** One binding as v1.0 answers it (at the top level) and v2.0 lists it. */
const Item = z.looseObject({
  subscriptionId: z.string().min(1),
  virtualNum: z.string().min(1),
  extendNum: z.string().min(1),
  bindNum: z.string().min(1),
  timeUnit: z.union([z.string(), z.number()]).nullish(),
  bindExpiredTime: IntegerField.nullish(),
  subscribeTime: OptionalString,
  userData: OptionalString,
});

/**
 * A v2.0 page. The list's field name is undocumented: `virtualNumList` (as AXB's `relationNumList` and
 * AX's `privateNumList` are named after X), else the answer's only top-level array.
 */
const ListResponse = z.preprocess(
  (body) => {
    const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const arrays = Object.values(b).filter(Array.isArray);
    // No array: an empty page. Several and none named so: not guessed (a malformed answer, never "empty").
    const list = b.virtualNumList ?? (arrays.length <= 1 ? (arrays[0] ?? []) : undefined);
    return { nextCursor: b.nextCursor, list };
  },
  z.object({ nextCursor: OptionalString, list: z.array(Item) }),
);

/** Minutes the platform gets for `seconds` (`timeUnit` 1): rounded up, so a binding never ends early. */
function minutes(seconds: number): number {
  return Math.ceil(seconds / 60);
}

/**
 * Binds A behind x (and `extension`, when named) for `durationSeconds` (0: permanent), sent in minutes;
 * callers see X (`displayNumMode` 0, which carriers require). Answers the platform's extension, else
 * the one asked for.
 */
export async function bindAxe(
  client: PlatformClient,
  options: AxeOptions,
  req: {
    x: Phone;
    a: Phone;
    extension?: string | undefined;
    durationSeconds: number;
    userData?: string | undefined;
  },
  /** Further bind fields, e.g. the driver's recording settings. */
  fields: Readonly<Record<string, unknown>> = {},
): Promise<Outcome<{ subscriptionId: string; x: Phone; extension?: string }>> {
  const answer = await client.send({
    method: "POST",
    path: AXE_PATH,
    body: {
      bindNum: req.a,
      virtualNum: req.x,
      extendNum: req.extension,
      displayNumMode: "0",
      timeUnit: "1",
      bindExpiredTime: minutes(req.durationSeconds),
      callbackExpiredTime: callbackMinutes(options, req.durationSeconds),
      callbackNum: options.callbackNum,
      callbackTone: options.callbackTone,
      userData: req.userData,
      ...fields,
    },
  });
  if (answer.kind !== "ok") return answer;
  const body = parseBody(BindResponse, answer, "an AXE bind");
  if (!body.ok) return body.failure;
  const extension = body.value.extendNum ?? req.extension;
  return {
    kind: "ok",
    value: {
      subscriptionId: body.value.subscriptionId,
      x: body.value.virtualNum ?? req.x,
      ...(extension === undefined ? {} : { extension }),
    },
  };
}

/**
 * The call-back record lifetime to send: the option's, else the binding's. Nothing for a permanent
 * binding without the option: what `callbackExpiredTime` 0 means is undocumented, and absent is the
 * platform's own default.
 */
function callbackMinutes(options: AxeOptions, durationSeconds: number): number | undefined {
  const seconds = options.callbackRecordSeconds ?? durationSeconds;
  return seconds > 0 ? minutes(seconds) : undefined;
}

/** Removes one AXE binding by `subscriptionId`. */
export async function unbindAxe(client: PlatformClient, subscriptionId: string): Promise<Outcome<void>> {
  const answer = await client.send({ method: "DELETE", path: AXE_PATH, query: { subscriptionId } });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/** Sets a new lifetime, counted from now (0: permanent); the call-back record lifetime follows it. */
export async function modifyAxe(
  client: PlatformClient,
  options: AxeOptions,
  req: { subscriptionId: string; durationSeconds: number },
): Promise<Outcome<void>> {
  const answer = await client.send({
    method: "PUT",
    path: AXE_PATH,
    body: {
      subscriptionId: req.subscriptionId,
      timeUnit: "1",
      bindExpiredTime: minutes(req.durationSeconds),
      callbackExpiredTime:
        options.callbackRecordSeconds === undefined
          ? callbackMinutes(options, req.durationSeconds)
          : undefined,
    },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/**
 * Looks up AXE bindings: one by `subscriptionId` or (x, extension) with v1.0, or one page of x's
 * bindings after `cursor` with v2.0 (kept only if their A is `a`, when given). "Record does not exist"
 * is an empty result. `total` is the bindings of this page; `nextCursor` is set while more follow.
 */
export async function queryAxe(
  client: PlatformClient,
  req:
    | { subscriptionId: string }
    | { x: Phone; a?: Phone | undefined; extension?: string | undefined; cursor?: string | undefined },
): Promise<Outcome<QueryResult>> {
  if ("subscriptionId" in req || req.extension !== undefined) {
    const query =
      "subscriptionId" in req
        ? { subscriptionId: req.subscriptionId }
        : { virtualNum: req.x, extendNum: req.extension };
    const answer = await client.send({ method: "GET", path: AXE_PATH, query });
    if (isNotFound(answer)) return { kind: "ok", value: { bindings: [], total: 0 } };
    if (answer.kind !== "ok") return answer;
    const body = parseBody(Item, answer, "an AXE query");
    if (!body.ok) return body.failure;
    const a = "subscriptionId" in req ? undefined : req.a;
    const bindings = [toBinding(body.value)].filter((b) => a === undefined || b.a === a);
    return { kind: "ok", value: { bindings, total: bindings.length } };
  }
  const answer = await client.send({
    method: "GET",
    path: AXE_V2_PATH,
    query: { virtualNum: req.x, cursor: req.cursor, limit: AXE_PAGE_LIMIT },
  });
  if (isNotFound(answer)) return { kind: "ok", value: { bindings: [], total: 0 } };
  if (answer.kind !== "ok") return answer;
  const page = parseBody(ListResponse, answer, "an AXE v2.0 query");
  if (!page.ok) return page.failure;
  const a = req.a;
  const bindings = page.value.list.map(toBinding).filter((b) => a === undefined || b.a === a);
  const nextCursor = page.value.nextCursor;
  return {
    kind: "ok",
    value: { bindings, total: bindings.length, ...(nextCursor === undefined ? {} : { nextCursor }) },
  };
}

function isNotFound(answer: { kind: string; code?: string }): answer is Failure {
  return answer.kind === "notFound" && (answer.code === "1016001" || answer.code === "1012007");
}

function toBinding(item: z.output<typeof Item>): PlatformBinding {
  const unitSeconds = String(item.timeUnit ?? "0") === "1" ? 60 : 3600;
  return {
    subscriptionId: item.subscriptionId,
    x: item.virtualNum,
    a: item.bindNum,
    extension: item.extendNum,
    durationSeconds: item.bindExpiredTime == null ? undefined : item.bindExpiredTime * unitSeconds,
    boundAtMs: item.subscribeTime === undefined ? undefined : parsePlatformTime(item.subscribeTime),
    userData: item.userData,
  };
}
