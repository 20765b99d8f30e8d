import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Outcome, type PlatformBinding, ValidationError } from "@bindpool/core";
import type { AxeSettings, Simulator, SimulatorOptions } from "@bindpool/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { createNotificationHandler, HuaweiDriver, type NotificationEvent } from "../src/index.js";
import { AXE_APP, AXE_SMALL_X, AXE_X, driverFor, startPlatform, user } from "./harness.js";

// The driver's AXE calls against the simulator over HTTP (§6).

const [X1, X2] = AXE_X;
const T0 = Date.UTC(2024, 0, 1);

let sim: Simulator | undefined;
let receiver: http.Server | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (receiver) {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    receiver = undefined;
  }
});

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== "ok")
    throw new Error(`expected ok, got ${outcome.kind} ${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

async function start(
  options: ConstructorParameters<typeof HuaweiDriver>[0]["axe"] = undefined,
  extra: Partial<SimulatorOptions> = {},
) {
  const clock = { ms: T0 };
  sim = await startPlatform({ now: () => clock.ms, ...extra });
  // The AXE settings of each binding as the simulated platform recorded them.
  const settings = new Map<string, AxeSettings>();
  sim.onEvent((e) => {
    if ((e.type === "bound" || e.type === "modified") && e.binding.axe)
      settings.set(e.binding.subscriptionId, { ...e.binding.axe });
  });
  const driver = driverFor(sim, {
    ...AXE_APP,
    requestsPerSecond: Number.POSITIVE_INFINITY,
    ...(options === undefined ? {} : { axe: options }),
  });
  return { sim, driver, clock, settings };
}

describe("AXE bind", () => {
  it("binds A behind the extension asked for, in minutes rounded up, and answers it", async () => {
    const { sim, driver, settings } = await start();
    const a = user(1);
    const bound = ok(
      await driver.bind({ mode: "AXE", x: X1, a, extension: "0042", durationSeconds: 90, userData: "o-1" }),
    );
    expect(bound).toEqual({ subscriptionId: expect.any(String), x: X1, extension: "0042" });
    expect(sim.bindings(AXE_APP.appKey)).toEqual([
      expect.objectContaining({ x: X1, a, extension: "0042", durationSeconds: 120, userData: "o-1" }),
    ]);
    // Callers see X; the call-back record lives as long as the binding.
    expect(settings.get(bound.subscriptionId)).toMatchObject({
      displayNumMode: "0",
      timeUnit: 1,
      bindExpiredTime: 2,
      callbackExpiredTime: 2,
    });
  });

  it("answers the extension the platform picked when none was asked for; 0 s is permanent", async () => {
    const { sim, driver, settings } = await start();
    const bound = ok(await driver.bind({ mode: "AXE", x: X2, a: user(2), durationSeconds: 0 }));
    expect(bound.extension).toBe("0001");
    expect(sim.bindings(AXE_APP.appKey)[0]).toMatchObject({ durationSeconds: 0 });
    expect(settings.get(bound.subscriptionId)).not.toHaveProperty("callbackExpiredTime");
  });

  it("answers conflict for an extension in use and exhausted (1020167) for a full X", async () => {
    const { driver } = await start();
    ok(await driver.bind({ mode: "AXE", x: X1, a: user(1), extension: "0007", durationSeconds: 60 }));
    const taken = await driver.bind({
      mode: "AXE",
      x: X1,
      a: user(2),
      extension: "0007",
      durationSeconds: 60,
    });
    expect(taken).toMatchObject({ kind: "conflict", code: "1012010" });
    ok(await driver.bind({ mode: "AXE", x: AXE_SMALL_X, a: user(1), extension: "3", durationSeconds: 60 }));
    const full = await driver.bind({
      mode: "AXE",
      x: AXE_SMALL_X,
      a: user(2),
      extension: "4",
      durationSeconds: 60,
    });
    expect(full).toMatchObject({ kind: "exhausted", code: "1020167" });
    // An extension of the wrong length is the platform's invalidParam.
    const wrong = await driver.bind({
      mode: "AXE",
      x: AXE_SMALL_X,
      a: user(3),
      extension: "0004",
      durationSeconds: 60,
    });
    expect(wrong).toMatchObject({ kind: "invalidParam", code: "1010002" });
  });

  it("throws ValidationError for a B, a malformed extension or duration, and an extension outside AXE", async () => {
    const { driver } = await start();
    const bind = (req: object) =>
      driver.bind({ mode: "AXE", x: X1, a: user(1), durationSeconds: 60, ...req });
    await expect(bind({ b: user(2) })).rejects.toThrow(ValidationError);
    for (const extension of ["", "12345", "00", "1a"])
      await expect(bind({ extension })).rejects.toThrow(ValidationError);
    await expect(bind({ durationSeconds: 1.5 })).rejects.toThrow(ValidationError);
    const axb = driverFor(sim!);
    await expect(
      axb.bind({ mode: "AXB", x: X1, a: user(1), b: user(2), extension: "0001", durationSeconds: 60 }),
    ).rejects.toThrow(/Only AXE binds take an extension/);
    expect(driver.stats().requests).toBe(0);
  });

  it("sends the configured call-back record lifetime and fallback number", async () => {
    const { driver, settings } = await start({ callbackRecordSeconds: 601, callbackNum: "+8613500000001" });
    const bound = ok(await driver.bind({ mode: "AXE", x: X1, a: user(1), durationSeconds: 3600 }));
    expect(settings.get(bound.subscriptionId)).toMatchObject({
      bindExpiredTime: 60,
      callbackExpiredTime: 11,
      callbackNum: "+8613500000001",
    });
    expect(settings.get(bound.subscriptionId)).not.toHaveProperty("callbackTone");
  });

  it("refuses callbackNum with callbackTone, and malformed ones, in the options", async () => {
    const { sim } = await start();
    const make = (axe: object) => new HuaweiDriver({ baseUrl: sim.url, ...AXE_APP, axe });
    expect(() => make({ callbackNum: "+8613500000001", callbackTone: "t.wav" })).toThrow(
      /exclude each other/,
    );
    expect(() => make({ callbackNum: "123" })).toThrow(ValidationError);
    expect(() => make({ callbackTone: "no spaces.wav" })).toThrow(ValidationError);
    expect(() => make({ callbackRecordSeconds: 0 })).toThrow(ValidationError);
    expect(() => make({ callbackTone: "back.wav" })).not.toThrow();
  });
});

describe("AXE unbind, modify, query", () => {
  it("unbinds by subscriptionId, then answers notFound", async () => {
    const { sim, driver } = await start();
    const { subscriptionId } = ok(await driver.bind({ mode: "AXE", x: X1, a: user(1), durationSeconds: 60 }));
    ok(await driver.unbind({ mode: "AXE", subscriptionId }));
    expect(sim.bindings(AXE_APP.appKey)).toEqual([]);
    expect(await driver.unbind({ mode: "AXE", subscriptionId })).toMatchObject({
      kind: "notFound",
      code: "1016001",
    });
  });

  it("modifies the lifetime from now; an A or B change, or nothing to change, is a ValidationError", async () => {
    const { sim, driver, clock, settings } = await start();
    const { subscriptionId } = ok(
      await driver.bind({ mode: "AXE", x: X1, a: user(1), durationSeconds: 600 }),
    );
    clock.ms += 120_000;
    ok(await driver.modify({ mode: "AXE", subscriptionId, durationSeconds: 3000 }));
    expect(sim.bindings(AXE_APP.appKey)[0]).toMatchObject({ expiresAtMs: clock.ms + 3_000_000 });
    expect(settings.get(subscriptionId)).toMatchObject({ callbackExpiredTime: 50 });
    for (const req of [{ b: user(2), durationSeconds: 60 }, { a: user(3) }, {}, { durationSeconds: -1 }]) {
      await expect(driver.modify({ mode: "AXE", subscriptionId, ...req })).rejects.toThrow(ValidationError);
    }
    expect(await driver.modify({ mode: "AXE", subscriptionId: "gone", durationSeconds: 60 })).toMatchObject({
      kind: "notFound",
    });
  });

  it("queries one binding by subscriptionId or by (x, extension); nothing found is ok and empty", async () => {
    const { driver } = await start();
    const a = user(1);
    const bound = ok(
      await driver.bind({ mode: "AXE", x: X1, a, extension: "0420", durationSeconds: 300, userData: "o-9" }),
    );
    const expected: PlatformBinding = {
      subscriptionId: bound.subscriptionId,
      x: X1,
      a,
      extension: "0420",
      durationSeconds: 300,
      boundAtMs: T0,
      userData: "o-9",
    };
    expect(ok(await driver.query({ mode: "AXE", subscriptionId: bound.subscriptionId }))).toEqual({
      bindings: [expected],
      total: 1,
    });
    expect(ok(await driver.query({ mode: "AXE", x: X1, extension: "0420" }))).toEqual({
      bindings: [expected],
      total: 1,
    });
    expect(ok(await driver.query({ mode: "AXE", x: X1, extension: "0420", a: user(2) }))).toEqual({
      bindings: [],
      total: 0,
    });
    expect(ok(await driver.query({ mode: "AXE", x: X1, extension: "0421" }))).toEqual({
      bindings: [],
      total: 0,
    });
    expect(ok(await driver.query({ mode: "AXE", subscriptionId: "gone" }))).toEqual({
      bindings: [],
      total: 0,
    });
  });

  it("lists one X page by page with nextCursor, reading every binding once", async () => {
    const { driver } = await start();
    const ids = new Set<string>();
    for (let i = 0; i < 250; i++) {
      ids.add(
        ok(await driver.bind({ mode: "AXE", x: X2, a: user(100 + i), durationSeconds: 600 })).subscriptionId,
      );
    }
    ok(await driver.bind({ mode: "AXE", x: X1, a: user(1), durationSeconds: 600 }));
    const seen: string[] = [];
    const totals: number[] = [];
    let cursor: string | undefined;
    do {
      const page = ok(
        await driver.query({ mode: "AXE", x: X2, ...(cursor === undefined ? {} : { cursor }) }),
      );
      seen.push(...page.bindings.map((b) => b.subscriptionId));
      totals.push(page.total);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(totals).toEqual([100, 100, 50]);
    expect(seen).toHaveLength(250);
    expect(new Set(seen)).toEqual(ids);
    // Filtered by A within the page.
    const mine = ok(await driver.query({ mode: "AXE", x: X2, a: user(100) }));
    expect(mine.bindings.map((b) => b.a)).toEqual([user(100)]);
    expect(mine.nextCursor).toBeDefined();
  });

  it("throws ValidationError for a B, a page number or a malformed cursor in an AXE query", async () => {
    const { driver } = await start();
    for (const req of [{ b: user(2) }, { page: 2 }, { cursor: "1_1" }, { extension: "0000" }]) {
      await expect(driver.query({ mode: "AXE", x: X1, ...req })).rejects.toThrow(ValidationError);
    }
    expect(driver.stats().requests).toBe(0);
  });

  it("answers modeMismatch when an AXE app is called with the AX API", async () => {
    const { driver } = await start();
    const outcome = await driver.bind({ mode: "AX", x: X1, a: user(1), durationSeconds: 0 });
    expect(outcome).toMatchObject({ kind: "modeMismatch", code: "1010040" });
  });
});

describe("AXE calls", () => {
  it("delivers the call events and CDR of an AXE call with extendNum to the notification handler", async () => {
    const events: NotificationEvent[] = [];
    const handler = createNotificationHandler({ ...AXE_APP, onEvent: (e) => void events.push(e) });
    receiver = http.createServer((req, res) => void handler.node(req, res));
    receiver.listen(0, "127.0.0.1");
    await once(receiver, "listening");
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
    const { sim, driver } = await start({ callbackRecordSeconds: 600 }, { push: { url, timeScale: 0.001 } });
    const a = user(1);
    const peer = user(2);
    const { subscriptionId } = ok(
      await driver.bind({ mode: "AXE", x: X1, a, extension: "0042", durationSeconds: 3600 }),
    );
    await sim.simulateCall(AXE_APP.appKey, { subscriptionId, from: "b", peer });
    // A calls X back: the call-back record connects A to the customer who called.
    const back = await sim.simulateCall(AXE_APP.appKey, { subscriptionId, from: "a" });
    expect(back).toMatchObject({ caller: a, called: peer });
    await sim.pushesIdle();
    const calls = events.filter((e) => e.type === "call");
    expect(calls.length).toBeGreaterThanOrEqual(8);
    for (const e of calls) expect(e).toMatchObject({ subscriptionId, extendNum: "0042" });
    const fees = events.flatMap((e) => (e.type === "fee" ? e.records : []));
    expect(fees).toEqual([
      expect.objectContaining({ extendNum: "0042", callerNum: peer, calleeNum: a, bindNum: X1 }),
      expect.objectContaining({ extendNum: "0042", callerNum: a, calleeNum: peer }),
    ]);
  });
});
