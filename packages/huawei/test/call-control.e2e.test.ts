import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Simulator, type SimulatorOptions, startSimulator } from "@bindpool/simulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  createNotificationHandler,
  type FeeRecord,
  HuaweiDriver,
  type HuaweiDriverOptions,
  type NotificationEvent,
} from "../src/index.js";
import { AX_APP, AX_X, AXB_APP, AXB_X, user } from "./harness.js";

const DAY_MS = 24 * 3600 * 1000;

let sim: Simulator | undefined;
let receiver: http.Server | undefined;
afterEach(async () => {
  await sim?.close();
  if (receiver) {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  }
  sim = undefined;
  receiver = undefined;
});

/** A simulator (clock under the test's control) pushing to a notification handler that keeps the events. */
async function platform(apps?: SimulatorOptions["apps"]) {
  const events: NotificationEvent[] = [];
  const handler = createNotificationHandler({ ...AXB_APP, onEvent: (e) => void events.push(e) });
  receiver = http.createServer((req, res) => void handler.node(req, res));
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  const clock = { ms: Date.UTC(2025, 0, 1) };
  sim = await startSimulator({
    apps: apps ?? [{ ...AXB_APP, mode: "AXB", numbers: AXB_X.map((x) => ({ x })) }],
    push: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/push`, timeScale: 0.001 },
    now: () => clock.ms,
  });
  const driver = (options: Partial<HuaweiDriverOptions> = {}) =>
    new HuaweiDriver({ baseUrl: sim!.url, ...AXB_APP, ...options });
  const cdrs = () => events.flatMap((e) => (e.type === "fee" ? e.records : []));
  return { sim, clock, events, cdrs, driver };
}

/** Binds through the driver and simulates an answered call over it; returns the call's CDR. */
async function recordedCall(
  sim: Simulator,
  driver: HuaweiDriver,
  cdrs: () => FeeRecord[],
): Promise<FeeRecord> {
  const bound = await driver.bind({ mode: "AXB", x: AXB_X[0], a: user(1), b: user(2), durationSeconds: 0 });
  if (bound.kind !== "ok") throw new Error(bound.message);
  await sim.simulateCall(AXB_APP.appKey, { subscriptionId: bound.value.subscriptionId, from: "a" });
  await sim.pushesIdle();
  const cdr = cdrs()[0];
  if (!cdr) throw new Error("no CDR received");
  return cdr;
}

describe("recording download URL through the driver", () => {
  it("returns the redirect's Location without following it", async () => {
    const { sim, driver, cdrs } = await platform();
    const recording = driver({ recording: { hintTone: "notice.wav" } });
    const cdr = await recordedCall(sim, recording, cdrs);
    expect(cdr).toMatchObject({ recordFlag: 1 });
    sim.resetStats();
    const outcome = await recording.recordingUrlForCdr(cdr);
    if (outcome.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.value.url.startsWith(`${sim.url}/`)).toBe(true);
    // Only the signed request reached the simulator; the file itself was not loaded.
    expect(sim.stats().byPath).toEqual({ "/rest/provision/voice/record/v1.0": 1 });
    expect((await fetch(outcome.value.url)).headers.get("content-type")).toBe("audio/wav");
  });

  it("reports an expired recording (7 days after the CDR) and an unknown file as notFound", async () => {
    const { sim, clock, driver, cdrs } = await platform();
    const recording = driver({ recording: {} });
    const cdr = await recordedCall(sim, recording, cdrs);
    const request = { fileName: cdr.recordObjectName!, recordDomain: cdr.recordDomain! };
    expect((await recording.recordingUrl(request)).kind).toBe("ok");
    clock.ms += 7 * DAY_MS;
    expect(await recording.recordingUrl(request)).toMatchObject({ kind: "notFound", code: "1012007" });
    expect(await recording.recordingUrl({ ...request, fileName: "other.wav" })).toMatchObject({
      kind: "notFound",
      code: "1012007",
    });
  });

  it("answers noRecording for a CDR without a recording, without asking the platform", async () => {
    const { sim, driver, cdrs } = await platform();
    const plain = driver();
    const cdr = await recordedCall(sim, plain, cdrs);
    expect(cdr).toMatchObject({ recordFlag: 0 });
    expect(await plain.recordingUrlForCdr(cdr)).toEqual({ kind: "noRecording" });
    expect(plain.stats().requests).toBe(1);
  });
});

describe("stop call through the driver", () => {
  it("ends a live call (disconnect and CDR follow) and reports an unknown session as notFound", async () => {
    const { sim, driver, events } = await platform();
    const d = driver();
    const bound = await d.bind({ mode: "AXB", x: AXB_X[0], a: user(1), b: user(2), durationSeconds: 0 });
    if (bound.kind !== "ok") throw new Error(bound.message);
    const live = await sim.startCall(AXB_APP.appKey, {
      subscriptionId: bound.value.subscriptionId,
      from: "a",
    });
    expect(live.live).toBe(true);
    expect(await d.stopCall(live.sessionId)).toEqual({ kind: "ok", value: undefined });
    await sim.pushesIdle();
    expect(events.map((e) => (e.type === "call" ? e.event : e.type))).toEqual([
      "callin",
      "alerting",
      "answer",
      "disconnect",
      "fee",
    ]);
    expect(events[3]).toMatchObject({ sessionId: live.sessionId, stateCode: 0 });
    expect(await d.stopCall(live.sessionId)).toMatchObject({ kind: "notFound", code: "1020152" });
    expect(await d.stopCall("unknown@sim")).toMatchObject({ kind: "notFound", code: "1020152" });
  });
});

describe("app features through the driver", () => {
  it("fails binds asking for recording on an app without it with invalidParam 1012012", async () => {
    const { driver } = await platform([
      { ...AXB_APP, mode: "AXB", numbers: AXB_X.map((x) => ({ x })), recording: false },
      { ...AX_APP, mode: "AX", numbers: AX_X.map((x) => ({ x })), recording: false },
    ]);
    const axb = driver({ recording: {} });
    const bind = { x: AXB_X[0], a: user(1), b: user(2), durationSeconds: 0 };
    expect(await axb.bind({ mode: "AXB", ...bind })).toMatchObject({ kind: "invalidParam", code: "1012012" });
    const ax = driver({ ...AX_APP, recording: {} });
    expect(await ax.bind({ mode: "AX", x: AX_X[0]!, a: user(1), durationSeconds: 0 })).toMatchObject({
      kind: "invalidParam",
      code: "1012012",
    });
    expect((await driver().bind({ mode: "AXB", ...bind })).kind).toBe("ok");
  });

  it("fails binds naming an unapproved recording notice with invalidParam 1010002", async () => {
    const { driver } = await platform([
      { ...AXB_APP, mode: "AXB", numbers: AXB_X.map((x) => ({ x })), approvedToneFiles: ["notice.wav"] },
    ]);
    const bind = { mode: "AXB", x: AXB_X[0], a: user(1), b: user(2), durationSeconds: 0 } as const;
    const unapproved = driver({ recording: { hintTone: "other.wav" } });
    expect(await unapproved.bind(bind)).toMatchObject({ kind: "invalidParam", code: "1010002" });
    expect((await driver({ recording: { hintTone: "notice.wav" } }).bind(bind)).kind).toBe("ok");
  });
});
