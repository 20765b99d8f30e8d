import type { Failure, Outcome, Phone, PlatformBinding, QueryResult } from "@bindpool/core";
import { z } from "zod";
import type { PlatformClient } from "./http.js";
import { IntegerField, OptionalString, parseBody, parsePlatformTime } from "./schemas.js";

/** The one URI of the AXYB binding API (bind POST, unbind DELETE, query GET). */
export const AXYB_PATH = "/rest/omp/xyrelationnumber/v1.0";

/** The longest AXYB lifetime, seconds (90 days); 0 is "never expires". */
export const AXYB_MAX_DURATION_SECONDS = 7_776_000;
/** The shortest AXYB lifetime other than 0, seconds. */
export const AXYB_MIN_DURATION_SECONDS = 60;

/**
 * Names of the number fields of an AXYB bind request. The platform's documentation leaves them out
 * (unconfirmed); Huawei's samples name the users `origNum_A` and `origNum_B`, and the privacy numbers
 * follow the same pattern from AX's `privateNum`. Pass the names your app's documentation gives.
 */
export interface AxybFieldNames {
  /** A's number. @default "origNum_A" */
  readonly a?: string;
  /** B's number. @default "origNum_B" */
  readonly b?: string;
  /** X, the number B calls to reach A. @default "privateNum_X" */
  readonly x?: string;
  /** Y, the number A calls to reach B. @default "privateNum_Y" */
  readonly y?: string;
}

/** Options of the driver's AXYB calls (`HuaweiDriverOptions.axyb`). */
export interface AxybOptions {
  /** Field names of the bind request (see {@link AxybFieldNames}). */
  readonly fields?: AxybFieldNames;
  /**
   * Lifetime of the YB relation, seconds: 0 (it ends with A's relation on X), or 60-7 776 000 (at most
   * the binding's; the platform uses the binding's when it is longer).
   * @default 0
   */
  readonly ybDurationSeconds?: number;
}

export const AXYB_DEFAULT_FIELDS: Required<AxybFieldNames> = {
  a: "origNum_A",
  b: "origNum_B",
  x: "privateNum_X",
  y: "privateNum_Y",
};

/** Whether `seconds` is an AXYB lifetime the platform takes: 0, or 60 to 7 776 000. */
export function validAxybDuration(seconds: number): boolean {
  return (
    Number.isInteger(seconds) &&
    (seconds === 0 || (seconds >= AXYB_MIN_DURATION_SECONDS && seconds <= AXYB_MAX_DURATION_SECONDS))
  );
}

const BindResponse = z.looseObject({
  subscriptionId: z.string().min(1),
  relationNumber: OptionalString,
});

const Item = z.looseObject({
  // The listing names a binding `bindId`; its subscriptionId when it also sends one (unconfirmed).
  subscriptionId: OptionalString,
  bindId: OptionalString,
  numA: z.string().min(1),
  numX: z.string().min(1),
  numY: OptionalString,
  numB: OptionalString,
  duration: IntegerField.nullish(),
  subscribeTime: OptionalString,
  userData: OptionalString,
});

const QueryResponse = z.looseObject({ xyRelationNumList: z.array(Item).nullish() });

interface AxybContext {
  readonly client: PlatformClient;
  readonly appKey: string;
  readonly fields: Required<AxybFieldNames>;
  readonly ybDurationSeconds: number;
}

/**
 * Binds A to x and B to y in the two steps of Huawei's sample: the AX relation first (its answer gives
 * the subscriptionId), then the YB relation under that subscriptionId. When the second step fails the
 * first is undone; if that undo cannot be confirmed the answer is a `timeout` (the platform may hold A's
 * relation on X), so the caller asks the platform before reusing X.
 */
export async function bindAxyb(
  ctx: AxybContext,
  req: {
    x: Phone;
    y: Phone;
    a: Phone;
    b: Phone;
    durationSeconds: number;
    userData?: string | undefined;
  },
): Promise<Outcome<{ subscriptionId: string; x: Phone; y: Phone }>> {
  const { fields } = ctx;
  const ax = await ctx.client.send({
    method: "POST",
    path: AXYB_PATH,
    body: {
      app_key: ctx.appKey,
      [fields.a]: req.a,
      [fields.x]: req.x,
      callDirection: 0,
      duration: req.durationSeconds,
      ybDuration: ctx.ybDurationSeconds,
      userData: req.userData,
    },
  });
  if (ax.kind !== "ok") return ax;
  const first = parseBody(BindResponse, ax, "an AXYB bind (AX)");
  if (!first.ok) return first.failure;
  const { subscriptionId } = first.value;
  const yb = await ctx.client.send({
    method: "POST",
    path: AXYB_PATH,
    body: { app_key: ctx.appKey, subscriptionId, [fields.b]: req.b, [fields.y]: req.y },
  });
  const second = yb.kind === "ok" ? parseBody(BindResponse, yb, "an AXYB bind (YB)") : undefined;
  if (second?.ok) {
    return {
      kind: "ok",
      value: {
        subscriptionId,
        x: first.value.relationNumber ?? req.x,
        y: second.value.relationNumber ?? req.y,
      },
    };
  }
  const failure: Failure = second === undefined ? (yb as Failure) : (second as { failure: Failure }).failure;
  const undone = await unbindAxyb(ctx, subscriptionId);
  if (undone.kind === "ok" || undone.kind === "notFound") return failure;
  return {
    kind: "timeout",
    code: failure.code,
    message: `the YB step failed (${failure.message}) and A's relation on X could not be undone: ${undone.message}`,
  };
}

/**
 * Removes a whole AXYB binding (A's relation on X and every YB of it), or with `yb` only the YB relation
 * named by Y (wins) or B.
 */
export async function unbindAxyb(
  ctx: AxybContext,
  subscriptionId: string,
  yb?: { readonly y: Phone } | { readonly b: Phone },
): Promise<Outcome<void>> {
  const only = yb === undefined ? {} : "y" in yb ? { yNum: yb.y } : { bNum: yb.b };
  const answer = await ctx.client.send({
    method: "DELETE",
    path: AXYB_PATH,
    query: { app_key: ctx.appKey, subscriptionId, ...only },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/**
 * Lists AXYB bindings: those of a `subscriptionId`, or every binding on X (`relationNum`, 1-5). One
 * `PlatformBinding` per listed relation; one without Y and B is A's relation whose YB is gone.
 */
export async function queryAxyb(
  ctx: AxybContext,
  req: { subscriptionId: string } | { x: Phone },
): Promise<Outcome<QueryResult>> {
  const query =
    "subscriptionId" in req
      ? { app_key: ctx.appKey, subscriptionId: req.subscriptionId }
      : { app_key: ctx.appKey, relationNum: req.x };
  const answer = await ctx.client.send({ method: "GET", path: AXYB_PATH, query });
  if (answer.kind === "notFound") return { kind: "ok", value: { bindings: [], total: 0 } };
  if (answer.kind !== "ok") return answer;
  const body = parseBody(QueryResponse, answer, "an AXYB query");
  if (!body.ok) return body.failure;
  const bindings: PlatformBinding[] = [];
  for (const item of body.value.xyRelationNumList ?? []) {
    const subscriptionId =
      item.subscriptionId ?? item.bindId ?? ("subscriptionId" in req ? req.subscriptionId : undefined);
    if (subscriptionId === undefined) continue;
    bindings.push({
      subscriptionId,
      x: item.numX,
      a: item.numA,
      y: item.numY,
      b: item.numB,
      durationSeconds: item.duration ?? undefined,
      boundAtMs: item.subscribeTime === undefined ? undefined : parsePlatformTime(item.subscribeTime),
      userData: item.userData,
    });
  }
  return { kind: "ok", value: { bindings, total: bindings.length } };
}
