import { type Outcome, orderKeyFromUserData, userDataFor } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { type Simulator, type StateEvent, startSimulator } from "@bindpool/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HistoryChecker,
  type PlatformEvent,
  platformEventOf,
  type SimulatorLog,
  type SimulatorLogEvent,
  watchSimulatorLog,
} from "../src/index.js";
import { A1, A2, B1, B2, X1, X2 } from "./harness.js";

// The simulator's log as it really is: a simulator in this process, changed over its HTTP API by the
// Huawei driver (signed requests, userData as bindpool writes it), and by the simulator's own clock.

const APP = { appKey: "history-key", appSecret: "history-secret" } as const;
const OTHER = { appKey: "other-key", appSecret: "other-secret" } as const;
const START_MS = 1_700_000_000_000;

// The structural types must keep fitting the simulator's own, or the examples stop compiling: say so here.
const fitsEvent = (event: StateEvent): SimulatorLogEvent => event;
const fitsLog = (sim: Simulator): SimulatorLog => sim;
void fitsEvent;
void fitsLog;

let sim: Simulator;
let clockMs = START_MS;
beforeAll(async () => {
  sim = await startSimulator({
    now: () => clockMs,
    apps: [
      { ...APP, mode: "AXB", numbers: [X1, X2].map((x) => ({ x, city: "0755", province: "GD" })) },
      { ...OTHER, mode: "AXB", numbers: [{ x: "+8617200000009", city: "0755", province: "GD" }] },
    ],
  });
});
afterAll(() => sim?.close());

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== "ok") throw new Error(`expected ok, got ${outcome.kind} ${outcome.code}`);
  return outcome.value;
}

const driver = (app: typeof APP | typeof OTHER = APP) =>
  new HuaweiDriver({ baseUrl: sim.url, ...app, requestsPerSecond: 1_000 });

/** Watches the simulator into a list and a fresh checker, with a recording clock that only goes up. */
function watch() {
  const events: PlatformEvent[] = [];
  const checker = new HistoryChecker({ capacityPerX: 2 });
  let t = 0;
  const options = { appKey: APP.appKey, orderKeyOf: orderKeyFromUserData, now: () => START_MS + ++t };
  const stop = watchSimulatorLog(
    sim,
    {
      platform(event) {
        events.push(event);
        checker.platform(event);
      },
    },
    options,
  );
  return { events, checker, stop };
}

describe("watchSimulatorLog", () => {
  it("records an order's bind, modify and unbind with its pair and the orderKey its userData names", async () => {
    const { events, checker, stop } = watch();
    const d = driver();
    checker.client({ type: "invoke", op: "allocate", process: 1, orderKey: "o-1", a: A1, b: B1, timeMs: 1 });
    const bound = ok(
      await d.bind({ mode: "AXB", x: X1, a: A1, b: B1, durationSeconds: 600, userData: userDataFor("o-1") }),
    );
    const binding = { subscriptionId: bound.subscriptionId, x: X1, a: A1, b: B1 };
    checker.client({ type: "ok", op: "allocate", process: 1, orderKey: "o-1", binding, timeMs: 2 });
    checker.client({ type: "invoke", op: "reassign", process: 1, orderKey: "o-1", b: B2, timeMs: 3 });
    ok(await d.modify({ mode: "AXB", subscriptionId: bound.subscriptionId, b: B2 }));
    const moved = { ...binding, b: B2 };
    checker.client({ type: "ok", op: "reassign", process: 1, orderKey: "o-1", binding: moved, timeMs: 4 });
    checker.client({ type: "invoke", op: "complete", process: 1, orderKey: "o-1", timeMs: 5 });
    ok(await d.unbind({ mode: "AXB", subscriptionId: bound.subscriptionId }));
    checker.client({ type: "ok", op: "complete", process: 1, orderKey: "o-1", timeMs: 6 });
    stop();

    const t = START_MS;
    expect(events).toEqual([
      { type: "bind", ...binding, orderKey: "o-1", timeMs: t + 1 },
      // The bind's entry keeps B1 though the simulator changed its record in place.
      { type: "modify", ...moved, orderKey: "o-1", timeMs: t + 2 },
      { type: "unbind", ...moved, orderKey: "o-1", timeMs: t + 3 },
    ]);
    expect(checker.finish()).toEqual([]);
  });

  it("leaves out other apps' bindings and number status changes, and stops when unsubscribed", async () => {
    const { events, stop } = watch();
    const other = ok(
      await driver(OTHER).bind({ mode: "AXB", x: "+8617200000009", a: A2, b: B2, durationSeconds: 600 }),
    );
    sim.setNumberStatus(APP.appKey, X2, "paused");
    sim.setNumberStatus(APP.appKey, X2, "normal");
    stop();
    ok(await driver().bind({ mode: "AXB", x: X2, a: A2, b: B2, durationSeconds: 600 }));
    expect(events).toEqual([]);
    ok(await driver(OTHER).unbind({ mode: "AXB", subscriptionId: other.subscriptionId }));
    const [left] = sim.bindings(APP.appKey);
    ok(await driver().unbind({ mode: "AXB", subscriptionId: left!.subscriptionId }));
  });

  it("times an expiry at the binding's end, and the checker sees a live order lose its binding", async () => {
    const { events, checker, stop } = watch();
    checker.client({ type: "invoke", op: "allocate", process: 7, orderKey: "o-2", a: A2, b: B1, timeMs: 1 });
    const bound = ok(
      await driver().bind({
        mode: "AXB",
        x: X2,
        a: A2,
        b: B1,
        durationSeconds: 60,
        userData: userDataFor("o-2"),
      }),
    );
    const binding = { subscriptionId: bound.subscriptionId, x: X2, a: A2, b: B1 };
    checker.client({ type: "ok", op: "allocate", process: 7, orderKey: "o-2", binding, timeMs: 2 });
    // Past its lifetime: the simulator removes it at the next look, while the order is still live.
    clockMs += 61_000;
    expect(sim.bindings(APP.appKey)).toEqual([]);
    stop();

    expect(events.map(({ type, timeMs }) => ({ type, timeMs }))).toEqual([
      { type: "bind", timeMs: START_MS + 1 },
      { type: "expire", timeMs: clockMs - 1_000 },
    ]);
    expect(events[1]).toMatchObject({ ...binding, orderKey: "o-2" });
    expect(checker.violations.map((v) => [v.rule, v.orderKey])).toEqual([["live-binding-lost", "o-2"]]);
  });
});

describe("platformEventOf", () => {
  const options = { appKey: APP.appKey, orderKeyOf: orderKeyFromUserData, now: () => 42 };
  const view = { subscriptionId: "s-1", x: X1, a: A1, b: B1 };
  const record = { appKey: APP.appKey, ...view };

  it("names no order for userData bindpool did not write, and times a lifetime-less expiry now", () => {
    expect(platformEventOf({ type: "bound", binding: { ...record, userData: "theirs" } }, options)).toEqual({
      type: "bind",
      ...view,
      orderKey: undefined,
      timeMs: 42,
    });
    expect(platformEventOf({ type: "unbound", binding: record, reason: "expired" }, options)).toMatchObject({
      type: "expire",
      timeMs: 42,
    });
  });
});
