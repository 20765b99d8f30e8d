import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../src/index.js";
import { AXB_PATH, authHeaders, client, created } from "./harness.js";

const X = "+8613800000001";
let sim: Simulator;
let call: ReturnType<typeof client>;
let pair = 0;

/** A fresh A/B pair so binds never collide with earlier ones. */
function nextPair() {
  pair++;
  return {
    callerNum: `+86139${String(pair).padStart(8, "0")}`,
    calleeNum: `+86137${String(pair).padStart(8, "0")}`,
  };
}

beforeAll(async () => {
  sim = await startSimulator({
    apps: [{ appKey: "key1", appSecret: "secret1", mode: "AXB", numbers: [{ x: X }] }],
  });
  call = client(sim, "key1", "secret1");
});
afterAll(() => sim.close());

describe("authentication", () => {
  it("accepts an AKSK signature (HMAC-SHA256 over Nonce+Created)", async () => {
    const res = await call("POST", AXB_PATH, { body: { ...nextPair(), relationNum: X } });
    expect(res.status).toBe(200);
    expect(res.body.resultcode).toBe("0");
  });

  it("accepts a legacy WSSE signature (SHA-256 over Nonce+Created+Secret)", async () => {
    const res = await call("POST", AXB_PATH, { scheme: "WSSE", body: { ...nextPair(), relationNum: X } });
    expect(res.body.resultcode).toBe("0");
  });

  it("accepts header variants: ',' or ', ' separators and dsl= instead of type=", async () => {
    for (const separator of [",", ", ", " ,  "]) {
      const res = await call("GET", AXB_PATH, { separator, typeAttr: "dsl", query: { relationNum: X } });
      expect(res.body.resultcode).toBe("0");
    }
    const wsse = await call("GET", AXB_PATH, { scheme: "WSSE", separator: ", ", query: { relationNum: X } });
    expect(wsse.body.resultcode).toBe("0");
  });

  it("accepts a 13-hex-char nonce (PHP uniqid) and a reused nonce by default", async () => {
    const nonce = "5f1a2b3c4d5e6";
    const createdAt = created();
    for (let i = 0; i < 2; i++) {
      const res = await call("GET", AXB_PATH, { nonce, createdAt, query: { relationNum: X } });
      expect(res.body.resultcode).toBe("0");
    }
  });

  it("accepts Created 8 hours in the future by default (Java demo on a UTC+8 server)", async () => {
    const res = await call("GET", AXB_PATH, {
      createdAt: created(Date.now() + 8 * 3600_000 + 60_000),
      query: { relationNum: X },
    });
    expect(res.body.resultcode).toBe("0");
  });

  it("rejects Created a day away with an auth code", async () => {
    const res = await call("GET", AXB_PATH, {
      createdAt: created(Date.now() - 24 * 3600_000),
      query: { relationNum: X },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.resultcode).toBe("1020150");
  });

  it("rejects a wrong secret with an auth code and HTTP >= 400, both schemes", async () => {
    for (const scheme of ["AKSK", "WSSE"] as const) {
      const res = await call("GET", AXB_PATH, { scheme, secret: "wrong", query: { relationNum: X } });
      expect(res.status).toBe(401);
      expect(res.body.resultcode).toBe("1020150");
    }
  });

  it("rejects a digest made with the other scheme's formula", async () => {
    const headers = authHeaders("key1", "secret1", { scheme: "WSSE" });
    const res = await call("GET", AXB_PATH, {
      query: { relationNum: X },
      headers: {
        Authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
        "X-AKSK": headers["X-WSSE"]!,
      },
    });
    expect(res.body.resultcode).toBe("1020150");
  });

  it("rejects an unknown app key with 1010003", async () => {
    const other = client(sim, "nope", "secret1");
    const res = await other("GET", AXB_PATH, { query: { relationNum: X } });
    expect(res.status).toBe(401);
    expect(res.body.resultcode).toBe("1010003");
  });

  it("answers 1023006 without Authorization and 1023007 without realm", async () => {
    const noAuth = await fetch(`${sim.url}${AXB_PATH}?relationNum=%2B8613800000001`);
    expect(noAuth.status).toBe(400);
    expect(((await noAuth.json()) as { resultcode: string }).resultcode).toBe("1023006");
    const res = await call("GET", AXB_PATH, {
      query: { relationNum: X },
      headers: { Authorization: 'AKSK profile="UsernameToken",type="Appkey"' },
    });
    expect(res.status).toBe(400);
    expect(res.body.resultcode).toBe("1023007");
  });
});

describe("authentication options", () => {
  it("rejects a replayed nonce when rejectReplayedNonce is on, and a narrow window rejects 8h skew", async () => {
    const strict = await startSimulator({
      apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] }],
      auth: { rejectReplayedNonce: true, createdWindowSeconds: 300 },
    });
    try {
      const c = client(strict, "k", "s");
      const nonce = "abcdef0123456789abcdef0123456789";
      const createdAt = created();
      expect(
        (await c("GET", AXB_PATH, { nonce, createdAt, query: { relationNum: X } })).body.resultcode,
      ).toBe("0");
      expect(
        (await c("GET", AXB_PATH, { nonce, createdAt, query: { relationNum: X } })).body.resultcode,
      ).toBe("1020150");
      const skewed = await c("GET", AXB_PATH, {
        createdAt: created(Date.now() + 8 * 3600_000),
        query: { relationNum: X },
      });
      expect(skewed.body.resultcode).toBe("1020150");
    } finally {
      await strict.close();
    }
  });
});
