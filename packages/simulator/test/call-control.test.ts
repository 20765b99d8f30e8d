import { afterEach, describe, expect, it } from "vitest";
import { optionsFromConfig } from "../src/config.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/index.js";
import { AX_PATH, AXB_PATH, authHeaders, client, receiver } from "./harness.js";

const RECORDING_PATH = "/rest/provision/voice/record/v1.0";
const CALL_STOP_PATH = "/rest/httpsessions/callStop/v2.0";
const X = "+8613800000001";
const AX_X = "+8617000000001";
const A = "+8613900000001";
const B = "+8613900000002";
const DAY_MS = 24 * 3600 * 1000;

let sim: Simulator | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeReceiver?.();
  sim = undefined;
  closeReceiver = undefined;
});

async function setup(extra: Partial<SimulatorOptions> = {}) {
  const rx = await receiver("s");
  closeReceiver = rx.close;
  const clock = { ms: Date.UTC(2025, 0, 1) };
  sim = await startSimulator({
    apps: [
      { appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] },
      { appKey: "other", appSecret: "s", mode: "AX", numbers: [{ x: AX_X }] },
    ],
    push: { url: `${rx.url}/push`, timeScale: 0.001 },
    now: () => clock.ms,
    ...extra,
  });
  return { sim, rx, clock, call: client(sim, "k", "s") };
}

/** GET of the recording URL that does not follow the redirect. */
async function recordingUrl(sim: Simulator, appKey: string, fileName: string, recordDomain: string) {
  const url = new URL(sim.url + RECORDING_PATH);
  url.searchParams.set("fileName", fileName);
  url.searchParams.set("recordDomain", recordDomain);
  const res = await fetch(url, { headers: authHeaders(appKey, "s"), redirect: "manual" });
  return {
    status: res.status,
    location: res.headers.get("location"),
    body: (await res.json()) as { resultcode: string },
  };
}

type Cdr = { recordObjectName?: string; recordDomain?: string; callEndTime?: string; recordFlag?: number };

/** The first CDR of the first fee push received. */
function firstCdr(rx: Awaited<ReturnType<typeof receiver>>): Cdr {
  const fee = rx.pushes.find((p) => p.body.eventType === "fee");
  if (!fee) throw new Error("no fee push received");
  return (fee.body.feeLst as Cdr[])[0]!;
}

async function recordedCall(
  sim: Simulator,
  rx: Awaited<ReturnType<typeof receiver>>,
  call = client(sim, "k", "s"),
) {
  const bound = await call("POST", AXB_PATH, {
    body: { callerNum: A, calleeNum: B, relationNum: X, recordFlag: true },
  });
  expect(bound.body.resultcode).toBe("0");
  await sim.simulateCall("k", { subscriptionId: String(bound.body.subscriptionId), from: "a" });
  await sim.pushesIdle();
  const cdr = firstCdr(rx);
  expect(cdr.recordFlag).toBe(1);
  return { fileName: cdr.recordObjectName!, domain: cdr.recordDomain! };
}

describe("recording download URL", () => {
  it("redirects (301) to the file of a recorded call; the address serves audio without signature", async () => {
    const { sim, rx } = await setup();
    const { fileName, domain } = await recordedCall(sim, rx);
    const answer = await recordingUrl(sim, "k", fileName, domain);
    expect(answer.status).toBe(301);
    expect(answer.body.resultcode).toBe("0");
    expect(answer.location).toMatch(new RegExp(`^${sim.url}/`));
    const file = await fetch(answer.location!);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("audio/wav");
    expect(
      Buffer.from(await file.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe("RIFF");
  });

  it("uses the configured redirect status", async () => {
    const { sim, rx } = await setup({ recordings: { redirectStatus: 302 } });
    const { fileName, domain } = await recordedCall(sim, rx);
    expect((await recordingUrl(sim, "k", fileName, domain)).status).toBe(302);
  });

  it("says the record does not exist (1012007) 7 days after the CDR push, and for files it never had", async () => {
    const { sim, rx, clock } = await setup();
    const { fileName, domain } = await recordedCall(sim, rx);
    const location = (await recordingUrl(sim, "k", fileName, domain)).location!;
    clock.ms += 7 * DAY_MS - 1000;
    expect((await recordingUrl(sim, "k", fileName, domain)).status).toBe(301);
    clock.ms += 1000;
    const gone = await recordingUrl(sim, "k", fileName, domain);
    expect(gone.status).toBe(400);
    expect(gone.body.resultcode).toBe("1012007");
    expect((await fetch(location)).status).toBe(404);
    expect((await recordingUrl(sim, "k", "nothing.wav", domain)).body.resultcode).toBe("1012007");
  });

  it("keeps one app's recordings from another app, and needs fileName and recordDomain", async () => {
    const { sim, rx } = await setup();
    const { fileName, domain } = await recordedCall(sim, rx);
    expect((await recordingUrl(sim, "other", fileName, domain)).body.resultcode).toBe("1012007");
    expect((await recordingUrl(sim, "k", fileName, "")).body.resultcode).toBe("1010002");
  });

  it("records nothing for a binding without recordFlag", async () => {
    const { sim, rx, call } = await setup();
    const bound = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X } });
    await sim.simulateCall("k", { subscriptionId: String(bound.body.subscriptionId), from: "a" });
    await sim.pushesIdle();
    const cdr = firstCdr(rx);
    expect(cdr.recordFlag).toBe(0);
    expect(cdr.recordObjectName).toBeUndefined();
  });
});

describe("stop call", () => {
  it("ends a live call: disconnect and CDR are pushed as a hang-up at the stop", async () => {
    const { sim, rx, clock, call } = await setup();
    const bound = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X, recordFlag: true },
    });
    const live = await sim.startCall("k", { subscriptionId: String(bound.body.subscriptionId), from: "a" });
    expect(live.live).toBe(true);
    expect(live.pushed).toEqual(["callin", "alerting", "answer"]);
    clock.ms += 30_000;
    const stopped = await call("POST", CALL_STOP_PATH, {
      body: { sessionid: live.sessionId, signal: "call_stop" },
    });
    expect(stopped.status).toBe(200);
    expect(stopped.body.resultcode).toBe("0");
    await sim.pushesIdle();
    const events = rx.pushes.map((p) => p.body.eventType);
    expect(events).toEqual(["callin", "alerting", "answer", "disconnect", "fee"]);
    const end = new Date(clock.ms).toISOString().slice(0, 19).replace("T", " ");
    expect(rx.pushes[3]?.body.statusInfo).toMatchObject({
      sessionId: live.sessionId,
      timestamp: end,
      stateCode: 0,
    });
    const cdr = firstCdr(rx);
    expect(cdr).toMatchObject({ sessionId: live.sessionId, callEndTime: end, recordFlag: 1 });
    const again = await call("POST", CALL_STOP_PATH, {
      body: { sessionid: live.sessionId, signal: "call_stop" },
    });
    expect(again.body.resultcode).toBe("1020152");
    expect((await recordingUrl(sim, "k", cdr.recordObjectName!, cdr.recordDomain!)).status).toBe(301);
  });

  it("answers 1020152 for an unknown session or another app's call, 1010002 for a wrong signal", async () => {
    const { sim, call } = await setup();
    const bound = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X } });
    const live = await sim.startCall("k", { subscriptionId: String(bound.body.subscriptionId), from: "a" });
    const unknown = await call("POST", CALL_STOP_PATH, {
      body: { sessionid: "nope@sim", signal: "call_stop" },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.resultcode).toBe("1020152");
    const other = client(sim, "other", "s");
    const foreign = await other("POST", CALL_STOP_PATH, {
      body: { sessionid: live.sessionId, signal: "call_stop" },
    });
    expect(foreign.body.resultcode).toBe("1020152");
    const bad = await call("POST", CALL_STOP_PATH, { body: { sessionid: live.sessionId, signal: "stop" } });
    expect(bad.body.resultcode).toBe("1010002");
    await sim.endCall("k", live.sessionId);
    const ended = await call("POST", CALL_STOP_PATH, {
      body: { sessionid: live.sessionId, signal: "call_stop" },
    });
    expect(ended.body.resultcode).toBe("1020152");
  });

  it("does not hold a call that is not answered", async () => {
    const { sim, rx, call } = await setup();
    const bound = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X } });
    const call1 = await sim.startCall("k", {
      subscriptionId: String(bound.body.subscriptionId),
      from: "a",
      answered: false,
    });
    expect(call1.live).toBe(false);
    await sim.pushesIdle();
    expect(rx.pushes.map((p) => p.body.eventType)).toEqual(["callin", "alerting", "disconnect", "fee"]);
  });
});

describe("app features", () => {
  const apps: SimulatorOptions["apps"] = [
    { appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }], recording: false },
    {
      appKey: "ax",
      appSecret: "s",
      mode: "AX",
      numbers: [{ x: AX_X }],
      approvedToneFiles: ["notice.wav", "hello.wav"],
    },
  ];

  it("answers 1012012 to recordFlag on an app without the recording function, on bind and modify", async () => {
    sim = await startSimulator({ apps });
    const call = client(sim, "k", "s");
    const refused = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X, recordFlag: "true" },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.resultcode).toBe("1012012");
    const bound = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X, recordFlag: false },
    });
    expect(bound.body.resultcode).toBe("0");
    const modify = await call("PUT", AXB_PATH, {
      body: { subscriptionId: bound.body.subscriptionId, recordFlag: true },
    });
    expect(modify.body.resultcode).toBe("1012012");
  });

  it("answers 1010002 to a tone file the app has not approved, and takes approved ones", async () => {
    sim = await startSimulator({ apps });
    const call = client(sim, "ax", "s");
    const hint = await call("POST", AX_PATH, {
      body: { origNum: A, privateNum: AX_X, recordFlag: true, recordHintTone: "x.wav" },
    });
    expect(hint.body.resultcode).toBe("1010002");
    expect(hint.body.resultdesc).toContain("recordHintTone");
    const pre = await call("POST", AX_PATH, {
      body: {
        origNum: A,
        privateNum: AX_X,
        preVoice: { callerHintTone: "hello.wav", calleeHintTone: "evil.wav" },
      },
    });
    expect(pre.body.resultcode).toBe("1010002");
    expect(pre.body.resultdesc).toContain("preVoice.calleeHintTone");
    const ok = await call("POST", AX_PATH, {
      body: {
        origNum: A,
        privateNum: AX_X,
        recordFlag: true,
        recordHintTone: "notice.wav",
        preVoice: { callerHintTone: "hello.wav" },
      },
    });
    expect(ok.body.resultcode).toBe("0");
    const modify = await call("PUT", AX_PATH, {
      body: { subscriptionId: ok.body.subscriptionId, lastMinVoice: "bye.wav" },
    });
    expect(modify.body.resultcode).toBe("1010002");
  });

  it("reads recording, approvedToneFiles and recordings from the config file", () => {
    const options = optionsFromConfig({
      recordings: { redirectStatus: 302, retentionSeconds: 60 },
      apps: [
        {
          appKey: "k",
          appSecret: "s",
          mode: "AXB",
          numbers: [{ x: X }],
          recording: false,
          approvedToneFiles: ["a.wav"],
        },
      ],
    });
    expect(options.recordings).toEqual({ redirectStatus: 302, retentionSeconds: 60 });
    expect(options.apps[0]).toMatchObject({ recording: false, approvedToneFiles: ["a.wav"] });
    expect(() =>
      optionsFromConfig({
        apps: [
          { appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }], approvedToneFiles: ["a b.wav"] },
        ],
      }),
    ).toThrow(/approvedToneFiles/);
  });
});
