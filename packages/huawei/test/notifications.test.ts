import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  billableMinutes,
  createNotificationHandler,
  NOTIFICATION_ERROR_STATUS,
  type NotificationError,
  type NotificationErrorCode,
  type NotificationEvent,
  type NotificationHandlerOptions,
  numberStateForStatus,
} from "../src/index.js";
import { pushHeaders } from "./harness.js";

const appKey = "push-key";
const appSecret = "push-secret";
const X = "+8617000000001";

const callin = {
  eventType: "callin",
  statusInfo: {
    sessionId: "1202_1051_4294967295_20190124070250@callenabler246.huaweicaas.com",
    timestamp: "2019-01-24 07:02:50",
    caller: "+8613800000001",
    called: X,
    subscriptionId: "sub-1",
    userData: "order-42",
  },
};

function setup(extra: Partial<NotificationHandlerOptions> = {}) {
  const events: NotificationEvent[] = [];
  const errors: NotificationError[] = [];
  const handler = createNotificationHandler({
    appKey,
    appSecret,
    onEvent: (e) => {
      events.push(e);
    },
    onError: (e) => errors.push(e),
    ...extra,
  });
  const push = (body: unknown, headers = pushHeaders(appKey, appSecret)) =>
    handler.handle({ headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { handler, events, errors, push };
}

describe("createNotificationHandler: signature, window, replay", () => {
  it("accepts a push signed with AKSK and answers 200 with an empty body", async () => {
    const { push, events } = setup();
    const result = await push(callin);
    expect(result).toMatchObject({ status: 200, body: "" });
    expect(events).toEqual([
      {
        type: "call",
        event: "callin",
        sessionId: callin.statusInfo.sessionId,
        timestamp: "2019-01-24 07:02:50",
        timestampMs: Date.UTC(2019, 0, 24, 7, 2, 50),
        caller: "+8613800000001",
        called: X,
        subscriptionId: "sub-1",
        userData: "order-42",
      },
    ]);
  });

  it("accepts a push signed with the legacy WSSE scheme", async () => {
    const { push, events } = setup();
    expect((await push(callin, pushHeaders(appKey, appSecret, { scheme: "WSSE" }))).status).toBe(200);
    expect(events).toHaveLength(1);
  });

  const bad: [string, () => Record<string, string>, NotificationErrorCode][] = [
    ["a wrong digest", () => pushHeaders(appKey, "other-secret"), "BINDPOOL_NOTIFY_BAD_SIGNATURE"],
    ["another app's key", () => pushHeaders("other-key", appSecret), "BINDPOOL_NOTIFY_BAD_SIGNATURE"],
    ["no headers", () => ({}), "BINDPOOL_NOTIFY_BAD_SIGNATURE"],
    [
      "no X-AKSK header",
      () => ({ authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"' }),
      "BINDPOOL_NOTIFY_BAD_SIGNATURE",
    ],
    [
      "a Created 16 minutes old",
      () => pushHeaders(appKey, appSecret, { createdMs: Date.now() - 16 * 60_000 }),
      "BINDPOOL_NOTIFY_STALE",
    ],
    [
      "a Created 16 minutes ahead",
      () => pushHeaders(appKey, appSecret, { createdMs: Date.now() + 16 * 60_000 }),
      "BINDPOOL_NOTIFY_STALE",
    ],
  ];
  for (const [what, headers, code] of bad) {
    it(`rejects ${what} with ${code} (401) and never calls onEvent`, async () => {
      const { push, events, errors, handler } = setup();
      const result = await push(callin, headers());
      expect(result.status).toBe(401);
      expect(result.error?.code).toBe(code);
      expect(JSON.parse(result.body)).toEqual({ code, message: result.error?.message });
      expect(events).toEqual([]);
      expect(errors.map((e) => e.code)).toEqual([code]);
      expect(handler.stats()).toMatchObject({ received: 1, delivered: 0, byCode: { [code]: 1 } });
    });
  }

  it("takes a Created within createdWindowSeconds", async () => {
    const { push } = setup({ createdWindowSeconds: 3600 });
    const headers = pushHeaders(appKey, appSecret, { createdMs: Date.now() - 30 * 60_000 });
    expect((await push(callin, headers)).status).toBe(200);
  });

  it("rejects a replayed nonce within the window, and accepts it when replay protection is off", async () => {
    const headers = pushHeaders(appKey, appSecret);
    const on = setup();
    expect((await on.push(callin, headers)).status).toBe(200);
    const again = await on.push(callin, headers);
    expect(again).toMatchObject({ status: 401, error: { code: "BINDPOOL_NOTIFY_REPLAYED" } });
    expect(on.events).toHaveLength(1);
    const off = setup({ replayProtection: false });
    expect((await off.push(callin, headers)).status).toBe(200);
    expect((await off.push(callin, headers)).status).toBe(200);
    expect(off.events).toHaveLength(2);
  });

  it("forgets nonces once their Created is outside the window", async () => {
    let nowMs = Date.parse("2024-05-01T08:00:00Z");
    const { push } = setup({ createdWindowSeconds: 60, now: () => nowMs });
    const headers = pushHeaders(appKey, appSecret, { createdMs: nowMs });
    expect((await push(callin, headers)).status).toBe(200);
    nowMs += 61_000;
    // Stale now, so a replay cannot get through whether or not the nonce is still held.
    expect((await push(callin, headers)).error?.code).toBe("BINDPOOL_NOTIFY_STALE");
    for (let i = 0; i < 3; i++) {
      nowMs += 61_000;
      const fresh = pushHeaders(appKey, appSecret, { createdMs: nowMs });
      expect((await push(callin, fresh)).status).toBe(200);
    }
  });

  it("answers 500 when onEvent rejects, and takes the platform's retry with the same nonce", async () => {
    let fail = true;
    const { push, errors } = setup({
      onEvent: async () => {
        if (fail) throw new Error(`database down for ${X}`);
      },
    });
    const headers = pushHeaders(appKey, appSecret);
    const first = await push(callin, headers);
    expect(first).toMatchObject({ status: 500, error: { code: "BINDPOOL_NOTIFY_LISTENER_FAILED" } });
    expect(first.error?.cause).toBeInstanceOf(Error);
    expect(errors[0]?.message).toContain("+86****0001");
    expect(errors[0]?.message).not.toContain(X);
    fail = false;
    expect((await push(callin, headers)).status).toBe(200);
  });

  it("rejects a body over maxBodyBytes with 413 before checking anything else", async () => {
    const { push } = setup({ maxBodyBytes: 100 });
    const result = await push({ ...callin, padding: "x".repeat(200) }, {});
    expect(result).toMatchObject({ status: 413, error: { code: "BINDPOOL_NOTIFY_TOO_LARGE" } });
  });

  it("validates its options with messages that echo the bad value", () => {
    const onEvent = () => {};
    expect(() => createNotificationHandler({ appKey: "", appSecret, onEvent })).toThrow(/appKey/);
    expect(() => createNotificationHandler({ appKey, appSecret, onEvent, createdWindowSeconds: -5 })).toThrow(
      /createdWindowSeconds.*-5/,
    );
    expect(() => createNotificationHandler({ appKey, appSecret, onEvent, maxBodyBytes: 0.5 })).toThrow(
      /maxBodyBytes.*0\.5/,
    );
  });

  it("exposes typed events and states in its public types", () => {
    expectTypeOf(numberStateForStatus).returns.toEqualTypeOf<"active" | "quarantined" | "draining">();
    expectTypeOf<NotificationEvent["type"]>().toEqualTypeOf<"call" | "fee" | "numberStatus">();
    expectTypeOf<
      Extract<NotificationEvent, { type: "numberStatus" }>["numbers"][number]["status"]
    >().toEqualTypeOf<5 | 9 | 10 | 11>();
    expectTypeOf<NotificationError["code"]>().toEqualTypeOf<NotificationErrorCode>();
  });

  it("maps every error code to its HTTP status", () => {
    expect(NOTIFICATION_ERROR_STATUS).toEqual({
      BINDPOOL_NOTIFY_BAD_SIGNATURE: 401,
      BINDPOOL_NOTIFY_STALE: 401,
      BINDPOOL_NOTIFY_REPLAYED: 401,
      BINDPOOL_NOTIFY_NONCE_STORE_FAILED: 503,
      BINDPOOL_NOTIFY_MALFORMED: 400,
      BINDPOOL_NOTIFY_TOO_LARGE: 413,
      BINDPOOL_NOTIFY_BAD_METHOD: 405,
      BINDPOOL_NOTIFY_UNKNOWN_EVENT: 200,
      BINDPOOL_NOTIFY_LISTENER_FAILED: 500,
    });
  });
});

describe("createNotificationHandler: event types", () => {
  it("parses every call event type, with numeric strings for stateCode and null for absent fields", async () => {
    const { push, events } = setup();
    for (const eventType of ["callin", "callout", "alerting", "answer"]) {
      expect((await push({ ...callin, eventType })).status).toBe(200);
    }
    const disconnect = {
      eventType: "disconnect",
      statusInfo: {
        ...callin.statusInfo,
        userData: null,
        stateCode: "0",
        stateDesc: "The user releases the call.",
        extra: { anything: true },
      },
    };
    expect((await push(disconnect)).status).toBe(200);
    expect(events.map((e) => (e.type === "call" ? e.event : e.type))).toEqual([
      "callin",
      "callout",
      "alerting",
      "answer",
      "disconnect",
    ]);
    expect(events[4]).toMatchObject({ stateCode: 0, stateDesc: "The user releases the call." });
    expect(events[4]).not.toHaveProperty("userData");
  });

  it("parses a CDR list, keeping undocumented fields and accepting integers as strings", async () => {
    const { push, events } = setup();
    const record = {
      direction: "0",
      spId: "sp",
      appKey,
      icid: "icid-1",
      bindNum: X,
      sessionId: "s-1",
      callerNum: "+8613800000001",
      calleeNum: "+8613800000002",
      fwdAnswerTime: "2024-05-01 08:00:05",
      callEndTime: "2024-05-01 08:01:06",
      recordFlag: 1,
      ulFailReason: 0,
      serviceType: "004",
      ttsPlayTimes: "0",
      mptyId: "m-1",
      voiceCheckType: "0",
      somethingNew: [1, 2],
    };
    expect((await push({ eventType: "fee", feeLst: [record, { icid: "icid-2" }] })).status).toBe(200);
    const fee = events[0];
    expect(fee?.type).toBe("fee");
    if (fee?.type !== "fee") return;
    expect(fee.records).toHaveLength(2);
    expect(fee.records[0]).toMatchObject({
      direction: 0,
      recordFlag: 1,
      ttsPlayTimes: 0,
      somethingNew: [1, 2],
    });
    expect(billableMinutes(fee.records[0]!)).toBe(2);
    expect(billableMinutes(fee.records[1]!)).toBe(0);
  });

  it("rejects a CDR list that is empty or has more than 50 records", async () => {
    const { push, events } = setup();
    expect((await push({ eventType: "fee", feeLst: [] })).error?.code).toBe("BINDPOOL_NOTIFY_MALFORMED");
    const many = Array.from({ length: 51 }, (_, i) => ({ icid: String(i) }));
    expect((await push({ eventType: "fee", feeLst: many })).error?.code).toBe("BINDPOOL_NOTIFY_MALFORMED");
    expect(events).toEqual([]);
  });

  it("maps X number status 5/9/10/11 to active/quarantined/quarantined/draining", async () => {
    const { push, events } = setup();
    const numInfo = [
      { number: "+8617000000001", status: 9 },
      { number: "+8617000000002", status: "10", cause: "2" },
      { number: "+8617000000003", status: 11 },
      { number: "+8617000000004", status: 5 },
    ];
    expect((await push({ eventType: "numStatus", numInfo })).status).toBe(200);
    expect(events).toEqual([
      {
        type: "numberStatus",
        numbers: [
          { x: "+8617000000001", status: 9, state: "quarantined" },
          { x: "+8617000000002", status: 10, cause: 2, state: "quarantined" },
          { x: "+8617000000003", status: 11, state: "draining" },
          { x: "+8617000000004", status: 5, state: "active" },
        ],
      },
    ]);
    expect([5, 9, 10, 11].map((s) => numberStateForStatus(s as 5 | 9 | 10 | 11))).toEqual([
      "active",
      "quarantined",
      "quarantined",
      "draining",
    ]);
  });

  it("rejects an undocumented X status as malformed, with the number masked", async () => {
    const { push, events } = setup();
    const result = await push({ eventType: "numStatus", numInfo: [{ number: X, status: 7 }] });
    expect(result).toMatchObject({ status: 400, error: { code: "BINDPOOL_NOTIFY_MALFORMED" } });
    expect(result.body).not.toContain(X);
    expect(events).toEqual([]);
  });

  it("answers an unknown eventType (and a push without one) 200 but does not deliver it", async () => {
    const { push, events, errors } = setup();
    expect(await push({ eventType: "smsNotify", x: 1 })).toMatchObject({
      status: 200,
      body: "",
      error: { code: "BINDPOOL_NOTIFY_UNKNOWN_EVENT" },
    });
    expect((await push({ appKey, smsEvent: { calling: "+8613800000001" } })).status).toBe(200);
    expect(events).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual([
      "BINDPOOL_NOTIFY_UNKNOWN_EVENT",
      "BINDPOOL_NOTIFY_UNKNOWN_EVENT",
    ]);
  });

  it("rejects a body that is not JSON without quoting it", async () => {
    const { push } = setup();
    const result = await push(`{"caller": "+8613800001234",`);
    expect(result).toMatchObject({ status: 400, error: { code: "BINDPOOL_NOTIFY_MALFORMED" } });
    expect(result.body).not.toContain("13800001234");
  });
});

describe("createNotificationHandler: node and fetch forms", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  async function serve(handler: ReturnType<typeof setup>["handler"]): Promise<string> {
    server = http.createServer((req, res) => void handler.node(req, res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/Xnumber/status`;
  }

  it("serves pushes over node:http", async () => {
    const { handler, events } = setup();
    const url = await serve(handler);
    const ok = await fetch(url, {
      method: "POST",
      headers: pushHeaders(appKey, appSecret),
      body: JSON.stringify(callin),
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("");
    const bad = await fetch(url, {
      method: "POST",
      headers: pushHeaders(appKey, "nope"),
      body: JSON.stringify(callin),
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { code: string }).code).toBe("BINDPOOL_NOTIFY_BAD_SIGNATURE");
    expect((await fetch(url)).status).toBe(405);
    expect(events).toHaveLength(1);
  });

  it("answers 413 over node:http to a body over the limit, and keeps serving", async () => {
    const { handler, events } = setup({ maxBodyBytes: 1024 });
    const url = await serve(handler);
    const big = await fetch(url, {
      method: "POST",
      headers: pushHeaders(appKey, appSecret),
      body: JSON.stringify({ ...callin, padding: "x".repeat(4096) }),
    });
    expect(big.status).toBe(413);
    const ok = await fetch(url, {
      method: "POST",
      headers: pushHeaders(appKey, appSecret),
      body: JSON.stringify(callin),
    });
    expect(ok.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it("serves pushes as a Fetch handler (Request -> Response)", async () => {
    const { handler, events } = setup({ maxBodyBytes: 1024 });
    const request = (body: string, headers = pushHeaders(appKey, appSecret)) =>
      new Request("https://example.test/notify", { method: "POST", headers, body });
    const ok = await handler.fetch(request(JSON.stringify(callin)));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("");
    expect((await handler.fetch(request(JSON.stringify(callin), pushHeaders(appKey, "nope")))).status).toBe(
      401,
    );
    expect((await handler.fetch(request("x".repeat(2048)))).status).toBe(413);
    expect((await handler.fetch(new Request("https://example.test/notify"))).status).toBe(405);
    expect(events).toHaveLength(1);
  });
});
