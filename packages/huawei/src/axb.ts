import type { Outcome, Phone, PlatformBinding, QueryResult } from "@bindpool/core";
import { z } from "zod";
import type { PlatformClient } from "./http.js";
import { IntegerField, OptionalString, parseBody, parsePlatformTime } from "./schemas.js";

/** The one URI of the AXB binding API (bind POST, unbind DELETE, modify PUT, query GET). */
export const AXB_PATH = "/rest/caas/relationnumber/partners/v1.0";

/** Page size asked for on AXB queries (the platform allows 10-100, default 50). */
export const AXB_PAGE_SIZE = 100;

const BindResponse = z.looseObject({
  subscriptionId: z.string().min(1),
  relationNum: OptionalString,
});

const Item = z.looseObject({
  subscriptionId: z.string().min(1),
  relationNum: z.string().min(1),
  callerNum: z.string().min(1),
  calleeNum: OptionalString,
  duration: IntegerField.nullish(),
  subscribeTime: OptionalString,
  userData: OptionalString,
});

const QueryResponse = z.looseObject({
  totalCount: IntegerField.nullish(),
  relationNumList: z.array(Item).nullish(),
});

/** Binds the pair (a, b) to x for `durationSeconds` (0: until unbound). */
export async function bindAxb(
  client: PlatformClient,
  req: { x: Phone; a: Phone; b: Phone; durationSeconds: number; userData?: string | undefined },
  /** Further bind fields, e.g. the driver's recording settings. */
  fields: Readonly<Record<string, unknown>> = {},
): Promise<Outcome<{ subscriptionId: string; x: Phone }>> {
  const answer = await client.send({
    method: "POST",
    path: AXB_PATH,
    body: {
      relationNum: req.x,
      callerNum: req.a,
      calleeNum: req.b,
      duration: req.durationSeconds,
      userData: req.userData,
      ...fields,
    },
  });
  if (answer.kind !== "ok") return answer;
  const body = parseBody(BindResponse, answer, "an AXB bind");
  if (!body.ok) return body.failure;
  return {
    kind: "ok",
    value: { subscriptionId: body.value.subscriptionId, x: body.value.relationNum ?? req.x },
  };
}

/** Removes one AXB binding. Always by `subscriptionId`: `relationNum` alone would remove every pair on X. */
export async function unbindAxb(client: PlatformClient, subscriptionId: string): Promise<Outcome<void>> {
  const answer = await client.send({ method: "DELETE", path: AXB_PATH, query: { subscriptionId } });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/** Changes A, B and/or the lifetime (seconds, counted from now) of an AXB binding; absent fields stay. */
export async function modifyAxb(
  client: PlatformClient,
  req: {
    subscriptionId: string;
    a?: Phone | undefined;
    b?: Phone | undefined;
    durationSeconds?: number | undefined;
  },
): Promise<Outcome<void>> {
  const answer = await client.send({
    method: "PUT",
    path: AXB_PATH,
    body: {
      subscriptionId: req.subscriptionId,
      callerNum: req.a,
      calleeNum: req.b,
      duration: req.durationSeconds,
    },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/**
 * Lists AXB bindings: one by `subscriptionId`, or those on x (optionally with caller a and/or callee b),
 * `page` from 1. "Record does not exist" answers mean an empty result.
 */
export async function queryAxb(
  client: PlatformClient,
  req:
    | { subscriptionId: string }
    | { x: Phone; a?: Phone | undefined; b?: Phone | undefined; page?: number | undefined },
): Promise<Outcome<QueryResult>> {
  const query =
    "subscriptionId" in req
      ? { subscriptionId: req.subscriptionId }
      : {
          relationNum: req.x,
          callerNum: req.a,
          calleeNum: req.b,
          pageIndex: req.page ?? 1,
          pageSize: AXB_PAGE_SIZE,
        };
  const answer = await client.send({ method: "GET", path: AXB_PATH, query });
  if (answer.kind === "notFound" && (answer.code === "1012007" || answer.code === "1016001")) {
    return { kind: "ok", value: { bindings: [], total: 0 } };
  }
  if (answer.kind !== "ok") return answer;
  const body = parseBody(QueryResponse, answer, "an AXB query");
  if (!body.ok) return body.failure;
  const bindings = (body.value.relationNumList ?? []).map(
    (item): PlatformBinding => ({
      subscriptionId: item.subscriptionId,
      x: item.relationNum,
      a: item.callerNum,
      b: item.calleeNum,
      durationSeconds: item.duration ?? undefined,
      boundAtMs: item.subscribeTime === undefined ? undefined : parsePlatformTime(item.subscribeTime),
      userData: item.userData,
    }),
  );
  return { kind: "ok", value: { bindings, total: body.value.totalCount ?? bindings.length } };
}
