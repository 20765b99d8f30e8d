import { describe, expect, it } from "vitest";
import { optionsFromConfig } from "../src/config.js";

const app = { appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: "+8613800000001" }] };

describe("config file", () => {
  it.each([
    [
      "the top level",
      { apps: [app], pushUrl: "http://127.0.0.1:1" },
      /at \(root\): Unrecognized key: "pushUrl"/,
    ],
    ["an app", { apps: [{ ...app, mdoe: "AX" }] }, /at apps\.0: Unrecognized key: "mdoe"/],
    [
      "a number",
      { apps: [{ ...app, numbers: [{ x: "+8613800000001", cty: "0755" }] }] },
      /at apps\.0\.numbers\.0: Unrecognized key: "cty"/,
    ],
    ["auth", { apps: [app], auth: { createdWindow: 1 } }, /at auth: Unrecognized key: "createdWindow"/],
    ["faults", { apps: [app], faults: { errorRate: 0.1 } }, /at faults: Unrecognized key: "errorRate"/],
    [
      "https",
      { apps: [app], https: { certFile: "c", keyFile: "k", caFile: "a" } },
      /at https: Unrecognized key: "caFile"/,
    ],
    [
      "push",
      { apps: [app], push: { url: "http://127.0.0.1:1", cdrUrl: "http://127.0.0.1:2" } },
      /at push: Unrecognized key: "cdrUrl"/,
    ],
    [
      "xMode",
      { apps: [app], xMode: { callin: "http://127.0.0.1:1" } },
      /at xMode: Unrecognized key: "callin"/,
    ],
    [
      "control",
      { apps: [app], control: { token: "t", enabled: true } },
      /at control: Unrecognized key: "enabled"/,
    ],
  ])("refuses an unknown key in %s, naming it", (_, config, message) => {
    expect(() => optionsFromConfig(config)).toThrow(message);
  });

  it("names every problem, not only the first", () => {
    expect(() => optionsFromConfig({ apps: [{ ...app, extra: 1 }], port: -1 })).toThrow(
      /at apps\.0: Unrecognized key: "extra".*; at port|at port.*; at apps\.0: Unrecognized key: "extra"/,
    );
  });

  it("reads push targets, the X-mode callin URL and the control token", () => {
    const options = optionsFromConfig({
      apps: [app],
      push: {
        url: "http://127.0.0.1:8080/notify",
        callEventsUrl: "http://127.0.0.1:8080/calls",
        feeUrl: "http://127.0.0.1:8080/fee",
        statusUrl: "https://app.local/status",
        retryScheduleMs: [1000, 2000],
        timeScale: 0.5,
        timeoutMs: 3000,
      },
      xMode: { callinUrl: "http://127.0.0.1:8080/callin", answerTimeoutMs: 2000 },
      control: { token: "t" },
    });
    expect(options.push).toEqual({
      url: "http://127.0.0.1:8080/notify",
      callEventsUrl: "http://127.0.0.1:8080/calls",
      feeUrl: "http://127.0.0.1:8080/fee",
      statusUrl: "https://app.local/status",
      retryScheduleMs: [1000, 2000],
      timeScale: 0.5,
      timeoutMs: 3000,
    });
    expect(options.xMode).toEqual({ callinUrl: "http://127.0.0.1:8080/callin", answerTimeoutMs: 2000 });
    expect(options.control).toEqual({ token: "t" });
  });

  it.each([
    [{ push: { url: "not a url" } }, /at push\.url: must be an http\(s\) URL/],
    [{ push: { url: "ftp://host/x" } }, /at push\.url: must be an http\(s\) URL/],
    [{ push: { callEventsUrl: "http://127.0.0.1:1" } }, /at push\.url/],
    [{ push: { url: "http://h", retryScheduleMs: [1, 2, 3, 4, 5, 6, 7] } }, /at push\.retryScheduleMs/],
    [{ control: { token: "" } }, /at control\.token/],
  ])("refuses invalid push, xMode and control values: %j", (extra, message) => {
    expect(() => optionsFromConfig({ apps: [app], ...extra })).toThrow(message);
  });
});
