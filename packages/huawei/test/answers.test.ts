import { describe, expect, it } from "vitest";
import { readAnswer } from "../src/http.js";

describe("reading an HTTP answer", () => {
  it("returns the body on resultcode 0 with HTTP 200", () => {
    const answer = readAnswer(
      200,
      JSON.stringify({ resultcode: "0", resultdesc: "Success", subscriptionId: "s1" }),
    );
    expect(answer).toEqual({
      kind: "ok",
      body: { resultcode: "0", resultdesc: "Success", subscriptionId: "s1" },
    });
  });

  it("accepts a numeric resultcode", () => {
    expect(readAnswer(200, '{"resultcode":0}').kind).toBe("ok");
  });

  it("classifies a documented code and keeps the platform's resultdesc", () => {
    const answer = readAnswer(
      400,
      JSON.stringify({ resultcode: "1012010", resultdesc: "The number has been bound." }),
    );
    expect(answer).toEqual({ kind: "conflict", code: "1012010", message: "The number has been bound." });
  });

  it("falls back to the table's description when resultdesc is absent", () => {
    expect(readAnswer(403, '{"resultcode":"1012001"}')).toEqual({
      kind: "numberAbnormal",
      code: "1012001",
      message: "Resource of number is not to be applied.",
    });
  });

  it("treats resultcode 0 on an error status as a failure of that status", () => {
    expect(readAnswer(503, '{"resultcode":"0"}').kind).toBe("transient");
  });

  it("classifies an undocumented code as unknown, or transient on a 5xx", () => {
    expect(readAnswer(400, '{"resultcode":"1099999"}')).toMatchObject({ kind: "unknown", code: "1099999" });
    expect(readAnswer(500, '{"resultcode":"1099999"}')).toMatchObject({ kind: "transient", code: "1099999" });
  });

  it.each([
    [500, "transient", "HTTP_500"],
    [502, "transient", "HTTP_502"],
    [429, "rateLimited", "HTTP_429"],
    [403, "auth", "HTTP_403"],
    [404, "invalidParam", "HTTP_404"],
    [400, "unknown", "HTTP_400"],
    [200, "unknown", "MALFORMED_RESPONSE"],
  ] as const)("classifies HTTP %i without a JSON envelope as %s", (status, kind, code) => {
    expect(readAnswer(status, "<html>Bad Gateway</html>")).toMatchObject({ kind, code });
  });
});
