import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryStore } from "@bindpool/core";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { createNotificationHandler, type NotificationEvent, type NotificationHandler } from "../src/index.js";
import { AXB_APP, AXB_X, driverFor, user } from "./harness.js";

let sim: Simulator | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await sim?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
  sim = undefined;
  server = undefined;
});

type Form = "node" | "fetch";

/** A real HTTP receiver running the handler in its node form, or its fetch form behind a small adapter. */
async function listen(handler: NotificationHandler, form: Form): Promise<string> {
  server = http.createServer((req, res) => {
    if (form === "node") return void handler.node(req, res);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(`http://receiver${req.url}`, {
        method: req.method ?? "POST",
        headers,
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      });
      const response = await handler.fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function platform(handler: NotificationHandler, form: Form, retryScheduleMs?: number[]) {
  const url = await listen(handler, form);
  sim = await startSimulator({
    apps: [{ ...AXB_APP, mode: "AXB", numbers: AXB_X.map((x) => ({ x })) }],
    push: {
      url: `${url}/callstatus`,
      statusUrl: `${url}/Xnumber/status`,
      timeScale: 0.001,
      ...(retryScheduleMs ? { retryScheduleMs } : {}),
    },
  });
  return sim;
}

describe("notifications end to end: simulator pushes -> handler", () => {
  for (const form of ["node", "fetch"] as const) {
    it(`receives a whole call and its CDR through the ${form} form`, async () => {
      const events: NotificationEvent[] = [];
      const handler = createNotificationHandler({ ...AXB_APP, onEvent: (e) => void events.push(e) });
      const sim = await platform(handler, form);
      const bound = await driverFor(sim).bind({
        mode: "AXB",
        x: AXB_X[0],
        a: user(1),
        b: user(2),
        durationSeconds: 600,
        userData: "order-1",
      });
      if (bound.kind !== "ok") throw new Error(bound.message);
      const { subscriptionId } = bound.value;
      const call = await sim.simulateCall(AXB_APP.appKey, { subscriptionId, from: "a", durationSeconds: 90 });
      await sim.pushesIdle();
      expect(events.map((e) => (e.type === "call" ? e.event : e.type))).toEqual([
        "callin",
        "alerting",
        "answer",
        "disconnect",
        "fee",
      ]);
      expect(events[0]).toMatchObject({
        type: "call",
        sessionId: call.sessionId,
        subscriptionId,
        caller: user(1),
        called: AXB_X[0],
        userData: "order-1",
      });
      expect(events[3]).toMatchObject({ stateCode: 0 });
      const fee = events[4];
      if (fee?.type !== "fee") throw new Error("expected a fee event");
      expect(fee.records[0]).toMatchObject({
        icid: call.icid,
        bindNum: AXB_X[0],
        callerNum: user(1),
        calleeNum: user(2),
        direction: 0,
        recordFlag: 0,
        userData: "order-1",
        ttsPlayTimes: 0,
        voiceCheckType: "0",
      });
      expect(handler.stats()).toEqual({ received: 5, delivered: 5, byCode: {}, onErrorFailures: 0 });
      expect(sim.pushStats()).toEqual({ delivered: 5, failedAttempts: 0, pending: 0, gaveUp: 0 });
    });
  }

  it("maps X status pushes 9/10/11/5 to quarantined/quarantined/draining/active in a store", async () => {
    const store = new MemoryStore();
    const pool = "p";
    await store.upsertPool(
      pool,
      "AXB",
      AXB_X.map((x) => ({ x, capacity: 5000 })),
    );
    const handler = createNotificationHandler({
      ...AXB_APP,
      onEvent: async (event) => {
        if (event.type !== "numberStatus") return;
        for (const n of event.numbers) await store.setNumberState(pool, n.x, n.state);
      },
    });
    const sim = await platform(handler, "node");
    const seen: string[] = [];
    for (const status of ["paused", "abnormal", "frozen", "normal"] as const) {
      sim.setNumberStatus(AXB_APP.appKey, AXB_X[1], status);
      await sim.pushesIdle();
      const n = (await store.numbers(pool)).find((m) => m.x === AXB_X[1]);
      seen.push(`${status}:${n?.state}`);
    }
    expect(seen).toEqual(["paused:quarantined", "abnormal:quarantined", "frozen:draining", "normal:active"]);
  });

  it("gets a push on the 3rd attempt when onEvent fails twice (the platform retries on 500)", async () => {
    let attempts = 0;
    const events: NotificationEvent[] = [];
    const handler = createNotificationHandler({
      ...AXB_APP,
      onEvent: (e) => {
        attempts++;
        if (attempts <= 2) throw new Error("store unavailable");
        events.push(e);
      },
    });
    const sim = await platform(handler, "node", [20, 40, 60, 80, 100, 120]);
    sim.setNumberStatus(AXB_APP.appKey, AXB_X[2], "abnormal", 2);
    await sim.pushesIdle();
    expect(attempts).toBe(3);
    expect(events).toEqual([
      { type: "numberStatus", numbers: [{ x: AXB_X[2], status: 10, cause: 2, state: "quarantined" }] },
    ]);
    expect(sim.pushStats()).toEqual({ delivered: 1, failedAttempts: 2, pending: 0, gaveUp: 0 });
    expect(handler.stats()).toMatchObject({
      received: 3,
      delivered: 1,
      byCode: { BINDPOOL_NOTIFY_LISTENER_FAILED: 2 },
    });
  });

  it("rejects pushes signed with another app's secret, and the simulator retries then gives up", async () => {
    const handler = createNotificationHandler({
      appKey: AXB_APP.appKey,
      appSecret: "rotated",
      onEvent: () => {},
    });
    const sim = await platform(handler, "fetch", [1, 1]);
    sim.setNumberStatus(AXB_APP.appKey, AXB_X[0], "paused");
    await sim.pushesIdle();
    expect(sim.pushStats()).toEqual({ delivered: 0, failedAttempts: 3, pending: 0, gaveUp: 1 });
    expect(handler.stats().byCode).toEqual({ BINDPOOL_NOTIFY_BAD_SIGNATURE: 3 });
  });
});
