import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CALL_EVENT_TYPES,
  createNotificationHandler,
  NOTIFICATION_ERROR_STATUS,
  type NotificationEvent,
  type NotificationResult,
  numberStateForStatus,
} from "../src/index.js";
import { pushHeaders } from "./harness.js";

const appKey = "fuzz-key";
const appSecret = "fuzz-secret";
const MAX_BODY_BYTES = 4096;

/** What onEvent may ever see: every documented field has its documented type. */
function wellFormed(event: NotificationEvent): boolean {
  const optional = (v: unknown, type: "string" | "number") =>
    v === undefined || (typeof v === type && (type === "string" || Number.isInteger(v)));
  switch (event.type) {
    case "call":
      return (
        (CALL_EVENT_TYPES as readonly string[]).includes(event.event) &&
        typeof event.sessionId === "string" &&
        event.sessionId.length > 0 &&
        typeof event.timestamp === "string" &&
        ["subscriptionId", "caller", "called", "stateDesc", "userData", "extendNum"].every((k) =>
          optional((event as unknown as Record<string, unknown>)[k], "string"),
        ) &&
        optional(event.stateCode, "number")
      );
    case "fee":
      return (
        Array.isArray(event.records) &&
        event.records.length >= 1 &&
        event.records.length <= 50 &&
        event.records.every(
          (r) =>
            typeof r === "object" &&
            r !== null &&
            ["direction", "recordFlag", "ulFailReason", "fwdUnaswRsn", "sipStatusCode"].every((k) =>
              optional(r[k], "number"),
            ) &&
            ["icid", "bindNum", "sessionId", "callerNum", "calleeNum", "callEndTime"].every((k) =>
              optional(r[k], "string"),
            ),
        )
      );
    case "numberStatus":
      return (
        event.numbers.length >= 1 &&
        event.numbers.every(
          (n) =>
            typeof n.x === "string" &&
            [5, 9, 10, 11].includes(n.status) &&
            n.state === numberStateForStatus(n.status) &&
            optional(n.cause, "number"),
        )
      );
    default:
      return false;
  }
}

function fuzzHandler() {
  const delivered: NotificationEvent[] = [];
  const handler = createNotificationHandler({
    appKey,
    appSecret,
    maxBodyBytes: MAX_BODY_BYTES,
    onEvent: (e) => {
      if (!wellFormed(e)) throw new Error(`garbage reached onEvent: ${JSON.stringify(e)}`);
      delivered.push(e);
    },
  });
  return { handler, delivered };
}

/** Every answer is either a delivered event or a typed error with its documented status. */
function expectTyped(result: NotificationResult): void {
  if (result.error === undefined) {
    expect(result.status).toBe(200);
    expect(result.body).toBe("");
    expect(result.event).toBeDefined();
    expect(wellFormed(result.event!)).toBe(true);
    return;
  }
  expect(result.event).toBeUndefined();
  expect(result.status).toBe(NOTIFICATION_ERROR_STATUS[result.error.code]);
  expect(result.error.code).not.toBe("BINDPOOL_NOTIFY_LISTENER_FAILED"); // would mean garbage reached onEvent
  if (result.status !== 200) {
    expect(JSON.parse(result.body)).toEqual({ code: result.error.code, message: result.error.message });
  }
}

const phone = fc.stringMatching(/^\+86\d{11}$/);
const intish = fc.oneof(fc.integer(), fc.integer().map(String));
const anyValue = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.constant(null), fc.double());
const callPush = fc.record({
  eventType: fc.constantFrom(...CALL_EVENT_TYPES),
  statusInfo: fc.record(
    {
      sessionId: fc.string({ minLength: 1, maxLength: 40 }),
      timestamp: fc.constantFrom("2024-05-01 08:00:00", "2024-13-45 99:99:99", "yesterday"),
      caller: phone,
      called: phone,
      subscriptionId: fc.uuid(),
      stateCode: intish,
      stateDesc: fc.string(),
      userData: fc.string(),
    },
    { requiredKeys: [] },
  ),
});
const feePush = fc.record({
  eventType: fc.constant("fee"),
  feeLst: fc.array(
    fc.record(
      { direction: intish, icid: fc.string(), bindNum: phone, recordFlag: intish, callEndTime: fc.string() },
      { requiredKeys: [] },
    ),
    { maxLength: 60 },
  ),
});
const numStatusPush = fc.record({
  eventType: fc.constant("numStatus"),
  numInfo: fc.array(
    fc.record(
      { number: phone, status: fc.oneof(fc.constantFrom(5, 9, 10, 11, "5", "11"), intish), cause: intish },
      {
        requiredKeys: ["number", "status"],
      },
    ),
    { maxLength: 5 },
  ),
});
const knownPush = fc.oneof(callPush, feePush, numStatusPush);

/** A known push with one field (top level or nested) replaced by a value of any type. */
const wrongTypes = fc.tuple(knownPush, fc.nat(), anyValue).map(([push, pick, value]) => {
  const copy = JSON.parse(JSON.stringify(push)) as Record<string, unknown>;
  const nested = (copy.statusInfo ?? (copy.feeLst as unknown[])?.[0] ?? (copy.numInfo as unknown[])?.[0]) as
    | Record<string, unknown>
    | undefined;
  const target = nested && pick % 2 === 0 ? nested : copy;
  const keys = Object.keys(target);
  const key = keys.length > 0 ? keys[pick % keys.length]! : "eventType";
  target[key] = value;
  return copy;
});

const unknownType = fc.record({
  eventType: fc.string().filter((t) => !["fee", "numStatus", ...CALL_EVENT_TYPES].includes(t)),
  payload: fc.anything(),
});

const bodies = fc.oneof(
  fc.string(), // mostly not JSON
  fc.json(), // JSON of any shape
  fc.jsonValue().map((v) => JSON.stringify(v)),
  knownPush.map((p) => JSON.stringify(p)),
  wrongTypes.map((p) => JSON.stringify(p) ?? "undefined"),
  unknownType.map((p) => JSON.stringify(p)),
  fc.string().map((s) => `{"eventType":"fee","feeLst":[${s}`), // truncated
);

describe("notification handler under fuzz", () => {
  it("answers every signed body with a typed error or a well-formed event, then still serves", async () => {
    const { handler, delivered } = fuzzHandler();
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        expectTyped(await handler.handle({ headers: pushHeaders(appKey, appSecret), body }));
      }),
      { numRuns: 1500 },
    );
    expect(delivered.length).toBeGreaterThan(0);
    expect(handler.stats().byCode.BINDPOOL_NOTIFY_LISTENER_FAILED).toBeUndefined();
    const good = { eventType: "numStatus", numInfo: [{ number: "+8617000000001", status: 9 }] };
    const after = await handler.handle({
      headers: pushHeaders(appKey, appSecret),
      body: JSON.stringify(good),
    });
    expect(after).toMatchObject({ status: 200, event: { type: "numberStatus" } });
  });

  it("answers unknown event types 200 without delivering them", async () => {
    const { handler, delivered } = fuzzHandler();
    await fc.assert(
      fc.asyncProperty(unknownType, async (push) => {
        const result = await handler.handle({
          headers: pushHeaders(appKey, appSecret),
          body: JSON.stringify(push),
        });
        expect(result).toMatchObject({
          status: 200,
          body: "",
          error: { code: "BINDPOOL_NOTIFY_UNKNOWN_EVENT" },
        });
      }),
      { numRuns: 300 },
    );
    expect(delivered).toEqual([]);
  });

  it("rejects every body over maxBodyBytes with 413, signed or not", async () => {
    const { handler, delivered } = fuzzHandler();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 64 }),
        fc.boolean(),
        async (unit, bytes, signed) => {
          const body = JSON.stringify({
            eventType: "fee",
            feeLst: [{ icid: unit.repeat(Math.ceil(bytes / unit.length)) }],
          });
          const headers = signed ? pushHeaders(appKey, appSecret) : {};
          const result = await handler.handle({ headers, body });
          expect(result).toMatchObject({ status: 413, error: { code: "BINDPOOL_NOTIFY_TOO_LARGE" } });
        },
      ),
      { numRuns: 100 },
    );
    expect(delivered).toEqual([]);
  });

  it("rejects valid bodies under wrong, missing or stale signatures with 401", async () => {
    const { handler, delivered } = fuzzHandler();
    const badHeaders = fc.oneof(
      fc.dictionary(fc.constantFrom("authorization", "x-aksk", "x-wsse", "content-type"), fc.string()),
      fc.string().map((secret) => pushHeaders(appKey, `${appSecret}${secret}x`)),
      fc
        .string({ minLength: 1 })
        .filter((k) => k !== appKey && !k.includes('"'))
        .map((key) => pushHeaders(key, appSecret)),
      fc
        .integer({ min: 901, max: 10 * 86_400 })
        .chain((s) => fc.constantFrom(s, -s))
        .map((s) => pushHeaders(appKey, appSecret, { createdMs: Date.now() + s * 1000 })),
    );
    await fc.assert(
      fc.asyncProperty(badHeaders, knownPush, async (headers, push) => {
        const result = await handler.handle({ headers, body: JSON.stringify(push) });
        expect(result.status).toBe(401);
        expect(["BINDPOOL_NOTIFY_BAD_SIGNATURE", "BINDPOOL_NOTIFY_STALE"]).toContain(result.error?.code);
      }),
      { numRuns: 500 },
    );
    expect(delivered).toEqual([]);
  });

  it("answers garbled signature headers with a typed answer", async () => {
    const { handler } = fuzzHandler();
    const garbled = fc
      .tuple(fc.constantFrom("AKSK", "WSSE") as fc.Arbitrary<"AKSK" | "WSSE">, fc.string(), fc.nat(160))
      .map(([scheme, junk, at]) => {
        const headers = pushHeaders(appKey, appSecret, { scheme });
        const name = `x-${scheme.toLowerCase()}`;
        const token = headers[name]!;
        headers[name] = token.slice(0, at) + junk + token.slice(at + junk.length + 1);
        return headers;
      });
    await fc.assert(
      fc.asyncProperty(garbled, knownPush, async (headers, push) => {
        // An edit may leave the token intact (e.g. it only dropped a separator): then it is a real push.
        expectTyped(await handler.handle({ headers, body: JSON.stringify(push) }));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps serving over real HTTP (node form) through a fuzz run", async () => {
    const { handler } = fuzzHandler();
    const server = http.createServer((req, res) => void handler.node(req, res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(bodies, fc.string({ minLength: MAX_BODY_BYTES + 1, maxLength: MAX_BODY_BYTES * 3 })),
          fc.boolean(),
          async (body, signed) => {
            const res = await fetch(url, {
              method: "POST",
              headers: signed ? pushHeaders(appKey, appSecret) : { "content-type": "application/json" },
              body,
            });
            const text = await res.text();
            expect([200, 400, 401, 413]).toContain(res.status);
            if (res.status !== 200)
              expect(Object.keys(JSON.parse(text) as object)).toEqual(["code", "message"]);
          },
        ),
        { numRuns: 200 },
      );
      const good = { eventType: "callin", statusInfo: { sessionId: "s", timestamp: "2024-05-01 08:00:00" } };
      const res = await fetch(url, {
        method: "POST",
        headers: pushHeaders(appKey, appSecret),
        body: JSON.stringify(good),
      });
      expect(res.status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
