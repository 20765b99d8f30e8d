import type { FailureKind } from "@bindpool/core";
import { describe, expect, it } from "vitest";
import { classifyResultCode, RESULT_CODES } from "../src/index.js";

// Every code of the platform facts' §10 table, with the kind its "Meaning" / "Client reaction" implies.
const DOCUMENTED: ReadonlyArray<readonly [code: string, kind: FailureKind | "ok", why: string]> = [
  ["0", "ok", "Success (HTTP 200)"],
  ["1010001", "transient", "Internal system error, HTTP 500: retry with backoff"],
  ["1010002", "invalidParam", "Invalid request / parameter: fix request, do not retry"],
  ["1010003", "auth", "Invalid app_key: fix config"],
  ["1010004", "auth", "The status of the app_key is unavailable"],
  ["1010008", "auth", "The status of the app_key is unavailable"],
  ["1010010", "rateLimited", "Platform flow control: back off ~1 minute"],
  ["1010029", "auth", "Subscriber frozen (arrears): operator action"],
  ["1010040", "modeMismatch", "API of another mode than the app"],
  ["1011001", "numberAbnormal", "AX: privateNum not an applied number of this app"],
  ["1011002", "exhausted", "AX: no allocatable X"],
  ["1011003", "userLimit", "AX: A already bound to 5 X"],
  ["1011004", "notFound", "AX unbind: binding not of this app: treat as not found"],
  ["1011005", "conflict", "AX: X already bound to another A: retry with another X"],
  ["1012001", "numberAbnormal", "AXB: X does not belong to the app"],
  ["1012007", "notFound", "The record does not exist"],
  ["1012008", "exhausted", "AXB: no idle X"],
  ["1012009", "exhausted", "X already has 5000 pairs"],
  ["1012010", "conflict", "AXB: X already bound with this A or B"],
  ["1012012", "invalidParam", "recordFlag=true but app has no recording: fix request"],
  ["1012102", "numberAbnormal", "X blacklisted"],
  ["1016001", "notFound", "Query/unbind found nothing"],
  ["1016002", "unknown", "meaning unconfirmed"],
  ["1020002", "transient", "Internal error: retry with backoff"],
  ["1020150", "auth", "The app_key is invalid"],
  ["1020152", "notFound", "Invalid sessionId: no such call session (stop call)"],
  ["1020166", "auth", "Client IP not whitelisted"],
  ["1020167", "exhausted", "AXE: no free extension on X: retry with another X"],
  ["1023001", "transient", "Internal error: retry with backoff"],
  ["1023006", "auth", "Authorization not contained in the HTTP header"],
  ["1023007", "auth", "realm not contained in Authorization"],
];

describe("result code table", () => {
  it.each(DOCUMENTED)("maps %s to %s (%s)", (code, kind) => {
    expect(classifyResultCode(code)).toBe(kind);
    expect(RESULT_CODES[code]?.kind).toBe(kind);
  });

  it("holds exactly the documented codes, each with a description", () => {
    expect(Object.keys(RESULT_CODES).sort()).toEqual(DOCUMENTED.map(([code]) => code).sort());
    for (const info of Object.values(RESULT_CODES)) expect(info.description.length).toBeGreaterThan(0);
  });

  it.each(["1099999", "", "abc", "toString", "__proto__", "constructor"])(
    "classifies %j as unknown",
    (code) => {
      expect(classifyResultCode(code)).toBe("unknown");
    },
  );
});
