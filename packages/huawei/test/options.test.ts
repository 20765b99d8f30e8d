import { ValidationError } from "@bindpool/core";
import { describe, expect, it } from "vitest";
import { HuaweiDriver, type HuaweiDriverOptions } from "../src/index.js";

const base: HuaweiDriverOptions = { baseUrl: "http://127.0.0.1:1", appKey: "k", appSecret: "s" };

function errorOf(options: unknown): ValidationError {
  try {
    new HuaweiDriver(options as HuaweiDriverOptions);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("the constructor accepted the options");
}

describe("HuaweiDriver options", () => {
  it("accepts the minimal options", () => {
    expect(new HuaweiDriver(base).stats()).toEqual({ requests: 0, byKind: {}, byCode: {} });
  });

  it.each([
    [{ timeoutMs: -5 }, "timeoutMs", "-5"],
    [{ timeoutMs: 1.5 }, "timeoutMs", "1.5"],
    [{ concurrency: 0 }, "concurrency", "0"],
    [{ requestsPerSecond: 2.5 }, "requestsPerSecond", "2.5"],
    [{ auth: "hmac" }, "auth", '"hmac"'],
    [{ baseUrl: "ftp://example.com" }, "baseUrl", '"ftp://example.com"'],
    [{ baseUrl: "not a url" }, "baseUrl", '"not a url"'],
    [{ appKey: "" }, "appKey", '""'],
    [{ limiter: { take: 1 } }, "limiter", '{"take":1}'],
    [{ fetch: "fetch" }, "fetch", '"fetch"'],
    [{ retries: 3 }, "", "retries"],
    [{ retries: 3, appSecret: "topsecret" }, "", "known options"],
  ])("rejects %j with a message naming the option and echoing the value", (patch, path, shown) => {
    const error = errorOf({ ...base, ...patch });
    expect(error.code).toBe("BINDPOOL_VALIDATION");
    expect(error.message).toContain(shown);
    if (path !== "") expect(error.issues.map((i) => i.path)).toContain(path);
  });

  it("never echoes the app secret", () => {
    expect(errorOf({ ...base, appSecret: 12345678 }).message).not.toContain("12345678");
    expect(errorOf({ ...base, appSecret: "topsecret", retries: 3 }).message).not.toContain("topsecret");
    expect(errorOf({ ...base, appSecret: "topsecret", timeoutMs: "x" }).message).not.toContain("topsecret");
  });

  it("accepts Infinity requests per second (no local limit)", () => {
    expect(() => new HuaweiDriver({ ...base, requestsPerSecond: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  it("throws a ValidationError for requests the mode cannot express", async () => {
    const driver = new HuaweiDriver(base);
    await expect(
      driver.bind({ mode: "AXB", x: "+8613800000001", a: "+8613900000001", durationSeconds: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      driver.bind({
        mode: "AX",
        x: "+8613800000001",
        a: "+8613900000001",
        b: "+8613900000002",
        durationSeconds: 0,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      driver.modify({ mode: "AX", subscriptionId: "s", durationSeconds: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(driver.unbind({ mode: "AXB", subscriptionId: "" })).rejects.toBeInstanceOf(ValidationError);
    expect(driver.stats().requests).toBe(0);
  });
});
