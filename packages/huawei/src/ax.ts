import type { Outcome, Phone, PlatformBinding, QueryResult } from "@bindpool/core";
import { z } from "zod";
import type { PlatformClient } from "./http.js";
import { IntegerField, OptionalString, parseBody, parsePlatformTime } from "./schemas.js";

/** The one URI of the AX binding API (bind POST, unbind DELETE, modify PUT, query GET). */
export const AX_PATH = "/rest/provision/caas/privatenumber/v1.0";

const BindResponse = z.looseObject({
  subscriptionId: z.string().min(1),
  privateNum: OptionalString,
});

const Item = z.looseObject({
  subscriptionId: z.string().min(1),
  origNum: z.string().min(1),
  privateNum: z.string().min(1),
  subscribeTime: OptionalString,
  userData: OptionalString,
});

const QueryResponse = z.looseObject({
  totalCount: IntegerField.nullish(),
  privateNumList: z.array(Item).nullish(),
});

/** Binds A to x; AX bindings never expire (only unbind removes them). */
export async function bindAx(
  client: PlatformClient,
  req: { x: Phone; a: Phone; userData?: string | undefined },
  /** Further bind fields, e.g. the driver's recording settings. */
  fields: Readonly<Record<string, unknown>> = {},
): Promise<Outcome<{ subscriptionId: string; x: Phone }>> {
  const answer = await client.send({
    method: "POST",
    path: AX_PATH,
    // calleeNumDisplay "0": callers see X, which carriers require.
    body: { origNum: req.a, privateNum: req.x, calleeNumDisplay: "0", userData: req.userData, ...fields },
  });
  if (answer.kind !== "ok") return answer;
  const body = parseBody(BindResponse, answer, "an AX bind");
  if (!body.ok) return body.failure;
  return {
    kind: "ok",
    value: { subscriptionId: body.value.subscriptionId, x: body.value.privateNum ?? req.x },
  };
}

/** Where an AX binding's temporary callee is set (PUT). */
export const AX_CALLEE_PATH = "/rest/caas/privatenumber/calleenumber/v1.0";

/**
 * Sets the number A's next call through X reaches, for `durationSeconds`; it replaces the last one.
 * The binding is named by `subscriptionId` (which wins) and X.
 */
export async function setCalleeAx(
  client: PlatformClient,
  req: { subscriptionId: string; x: Phone; callee: Phone; durationSeconds: number },
): Promise<Outcome<void>> {
  const answer = await client.send({
    method: "PUT",
    path: AX_CALLEE_PATH,
    body: {
      subscriptionId: req.subscriptionId,
      privateNum: req.x,
      calleeNum: req.callee,
      duration: req.durationSeconds,
    },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/** Removes one AX binding by `subscriptionId`. */
export async function unbindAx(client: PlatformClient, subscriptionId: string): Promise<Outcome<void>> {
  const answer = await client.send({ method: "DELETE", path: AX_PATH, query: { subscriptionId } });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/** Moves an AX binding to another A (`origNum`); other settings stay. */
export async function modifyAx(
  client: PlatformClient,
  req: { subscriptionId: string; a?: Phone | undefined },
): Promise<Outcome<void>> {
  const answer = await client.send({
    method: "PUT",
    path: AX_PATH,
    body: { subscriptionId: req.subscriptionId, origNum: req.a },
  });
  return answer.kind === "ok" ? { kind: "ok", value: undefined } : answer;
}

/**
 * Looks up AX bindings: one by `subscriptionId`, or the one on x (kept only if its A is `a`, when given).
 * "Record does not exist" (`1016001`) means an empty result.
 */
export async function queryAx(
  client: PlatformClient,
  req: { subscriptionId: string } | { x: Phone; a?: Phone | undefined },
): Promise<Outcome<QueryResult>> {
  // By X, not by origNum: origNum would win over privateNum and list every X of that A.
  const query = "subscriptionId" in req ? { subscriptionId: req.subscriptionId } : { privateNum: req.x };
  const answer = await client.send({ method: "GET", path: AX_PATH, query });
  if (answer.kind === "notFound" && (answer.code === "1016001" || answer.code === "1012007")) {
    return { kind: "ok", value: { bindings: [], total: 0 } };
  }
  if (answer.kind !== "ok") return answer;
  const body = parseBody(QueryResponse, answer, "an AX query");
  if (!body.ok) return body.failure;
  const all = (body.value.privateNumList ?? []).map(
    (item): PlatformBinding => ({
      subscriptionId: item.subscriptionId,
      x: item.privateNum,
      a: item.origNum,
      boundAtMs: item.subscribeTime === undefined ? undefined : parsePlatformTime(item.subscribeTime),
      userData: item.userData,
    }),
  );
  if ("subscriptionId" in req || req.a === undefined) {
    return { kind: "ok", value: { bindings: all, total: body.value.totalCount ?? all.length } };
  }
  const a = req.a;
  const bindings = all.filter((binding) => binding.a === a);
  return { kind: "ok", value: { bindings, total: bindings.length } };
}
