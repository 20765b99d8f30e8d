import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyPushAuth } from "../src/index.js";

const appKey = "push-key";
const appSecret = "push-secret";
const nonce = "0123456789abcdef0123456789abcdef";
const created = "2024-05-01T08:00:00Z";
const nowMs = Date.parse(created) + 30_000;

function aksk(secret = appSecret, at = created, key = appKey): Record<string, string> {
  const digest = createHmac("sha256", secret)
    .update(nonce + at)
    .digest("base64");
  return {
    authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
    "x-aksk": `UsernameToken Username="${key}", PasswordDigest="${digest}", Nonce="${nonce}", Created="${at}"`,
  };
}

function wsse(secret = appSecret): Record<string, string> {
  const digest = createHash("sha256")
    .update(nonce + created + secret)
    .digest("base64");
  return {
    Authorization: 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"',
    "X-WSSE": `UsernameToken Username="${appKey}",PasswordDigest="${digest}",Nonce="${nonce}",Created="${created}"`,
  };
}

describe("verifyPushAuth", () => {
  it("accepts a push signed with the app secret (AKSK)", () => {
    expect(verifyPushAuth(aksk(), { appKey, appSecret, nowMs })).toEqual({
      ok: true,
      scheme: "aksk",
      appKey,
      nonce,
      createdMs: Date.parse(created),
    });
  });

  it("accepts a push signed with the legacy WSSE scheme, given as a Headers object", () => {
    const result = verifyPushAuth(new Headers(wsse()), { appKey, appSecret, nowMs });
    expect(result).toMatchObject({ ok: true, scheme: "wsse" });
  });

  it("accepts node:http style array header values", () => {
    const h = aksk();
    const result = verifyPushAuth(
      { authorization: [h.authorization ?? ""], "x-aksk": [h["x-aksk"] ?? ""] },
      {
        appKey,
        appSecret,
        nowMs,
      },
    );
    expect(result.ok).toBe(true);
  });

  it("rejects a digest made with another secret", () => {
    expect(verifyPushAuth(aksk("wrong"), { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "badDigest",
    });
    expect(verifyPushAuth(wsse("wrong"), { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "badDigest",
    });
  });

  it("rejects a WSSE digest presented as AKSK", () => {
    const h = wsse();
    const headers = {
      authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
      "x-aksk": h["X-WSSE"] ?? "",
    };
    expect(verifyPushAuth(headers, { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "badDigest",
    });
  });

  it("rejects another app's key", () => {
    expect(verifyPushAuth(aksk(appSecret, created, "other"), { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "wrongAppKey",
    });
  });

  it("rejects a Created outside the window, either way, and accepts one inside it", () => {
    const old = "2024-05-01T07:54:00Z"; // 6.5 minutes before now
    expect(verifyPushAuth(aksk(appSecret, old), { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "staleCreated",
    });
    const future = "2024-05-01T08:06:00Z";
    expect(verifyPushAuth(aksk(appSecret, future), { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "staleCreated",
    });
    expect(
      verifyPushAuth(aksk(appSecret, old), { appKey, appSecret, nowMs, createdWindowSeconds: 600 }),
    ).toMatchObject({ ok: true });
  });

  it("rejects a push without an Authorization header or without the token header", () => {
    const h = aksk();
    expect(verifyPushAuth({ "x-aksk": h["x-aksk"] }, { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "missingHeader",
    });
    expect(verifyPushAuth({ authorization: h.authorization }, { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "missingHeader",
    });
    expect(verifyPushAuth({}, { appKey, appSecret, nowMs })).toMatchObject({
      ok: false,
      reason: "missingHeader",
    });
  });

  it("rejects malformed headers", () => {
    const h = aksk();
    const cases: Record<string, string>[] = [
      { authorization: "Basic abc", "x-aksk": h["x-aksk"] ?? "" },
      { authorization: h.authorization ?? "", "x-aksk": "Username=x" },
      {
        authorization: h.authorization ?? "",
        "x-aksk": `UsernameToken Username="${appKey}", Nonce="${nonce}"`,
      },
      {
        authorization: h.authorization ?? "",
        "x-aksk": (h["x-aksk"] ?? "").replace(created, "2024-05-01 08:00:00"),
      },
    ];
    for (const headers of cases) {
      expect(verifyPushAuth(headers, { appKey, appSecret, nowMs })).toMatchObject({
        ok: false,
        reason: "malformedHeader",
      });
    }
  });

  it("throws a ValidationError for a negative window", () => {
    expect(() => verifyPushAuth(aksk(), { appKey, appSecret, nowMs, createdWindowSeconds: -1 })).toThrow(
      /createdWindowSeconds.*-1/,
    );
  });
});
