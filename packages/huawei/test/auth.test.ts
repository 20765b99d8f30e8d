import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { akskDigest, authHeaders, formatCreated, newNonce, wsseDigest } from "../src/index.js";

const secret = "s3cr3t";
const nonce = "66C92B11FF8A425FB8D4CCFE0ED9ED1F";
const created = "2018-02-12T15:30:20Z";

describe("AKSK and WSSE signing", () => {
  it("computes the AKSK digest as Base64(HMAC-SHA256(secret, nonce + created))", () => {
    const expected = createHmac("sha256", secret).update(`${nonce}${created}`).digest("base64");
    expect(akskDigest(secret, nonce, created)).toBe(expected);
  });

  it("computes the WSSE digest as Base64(SHA-256(nonce + created + secret))", () => {
    const expected = createHash("sha256").update(`${nonce}${created}${secret}`).digest("base64");
    expect(wsseDigest(secret, nonce, created)).toBe(expected);
    expect(wsseDigest(secret, nonce, created)).not.toBe(akskDigest(secret, nonce, created));
  });

  it("formats the AKSK headers as documented, attributes separated by comma and space", () => {
    const headers = authHeaders("aksk", { appKey: "key1", appSecret: secret }, nonce, created);
    const digest = createHmac("sha256", secret)
      .update(nonce + created)
      .digest("base64");
    expect(headers).toEqual({
      Authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
      "X-AKSK": `UsernameToken Username="key1", PasswordDigest="${digest}", Nonce="${nonce}", Created="${created}"`,
    });
  });

  it("formats the legacy WSSE headers as documented, attributes separated by a comma", () => {
    const headers = authHeaders("wsse", { appKey: "key1", appSecret: secret }, nonce, created);
    const digest = createHash("sha256")
      .update(nonce + created + secret)
      .digest("base64");
    expect(headers).toEqual({
      Authorization: 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"',
      "X-WSSE": `UsernameToken Username="key1",PasswordDigest="${digest}",Nonce="${nonce}",Created="${created}"`,
    });
  });

  it("makes nonces of 32 hex characters, fresh each time", () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).not.toBe(a);
  });

  it("formats Created in UTC to the second without milliseconds", () => {
    expect(formatCreated(Date.UTC(2018, 1, 12, 15, 30, 20, 987))).toBe("2018-02-12T15:30:20Z");
    expect(formatCreated(Date.now())).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("signs with a fresh nonce and the current time by default", () => {
    const before = Date.now();
    const headers = authHeaders("aksk", { appKey: "k", appSecret: secret });
    const token = headers["X-AKSK"] ?? "";
    const n = /Nonce="([^"]+)"/.exec(token)?.[1] ?? "";
    const c = /Created="([^"]+)"/.exec(token)?.[1] ?? "";
    expect(n).toMatch(/^[0-9a-f]{32}$/);
    expect(Math.abs(Date.parse(c) - before)).toBeLessThan(2000);
    expect(token).toContain(`PasswordDigest="${akskDigest(secret, n, c)}"`);
  });
});
