import { generate } from "selfsigned";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type StateEvent, startSimulator } from "../src/index.js";
import { AXB_PATH, client, numbers } from "./harness.js";

const X = "+8613800000001";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("defaults and events", () => {
  it("holds 5000 pairs per X by default and gives 1012009 to the 5001st", async () => {
    sim = await startSimulator({ apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] }] });
    const users = numbers("+8613000000000", 10_002);
    for (let i = 0; i < 5000; i++) sim.bindBehindBack("k", { x: X, a: users[2 * i]!, b: users[2 * i + 1]! });
    const call = client(sim, "k", "s");
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: users[10_000], calleeNum: users[10_001], relationNum: X },
    });
    expect(res.body.resultcode).toBe("1012009");
    const page = await call("GET", AXB_PATH, { query: { relationNum: X, pageIndex: 50, pageSize: 100 } });
    expect(page.body.totalCount).toBe(5000);
    expect(page.body.relationNumList).toHaveLength(100);
  });

  it("binds on any idle X of the app when neither relationNum nor areaCode is sent", async () => {
    sim = await startSimulator({
      apps: [
        {
          appKey: "k",
          appSecret: "s",
          mode: "AXB",
          numbers: [{ x: X, capacity: 1 }, { x: "+8613800000002" }],
        },
      ],
    });
    const call = client(sim, "k", "s");
    const one = await call("POST", AXB_PATH, {
      body: { callerNum: "+8613900000001", calleeNum: "+8613900000002" },
    });
    const two = await call("POST", AXB_PATH, {
      body: { callerNum: "+8613900000003", calleeNum: "+8613900000004" },
    });
    expect([one.body.relationNum, two.body.relationNum].sort()).toEqual([X, "+8613800000002"]);
  });

  it("reports bound, modified, unbound and expired bindings and number status changes to listeners", async () => {
    let nowMs = 1_700_000_000_000;
    sim = await startSimulator({
      apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] }],
      now: () => nowMs,
    });
    const events: string[] = [];
    const off = sim.onEvent((e: StateEvent) => {
      events.push(e.type === "unbound" ? `unbound:${e.reason}` : e.type);
    });
    const call = client(sim, "k", "s");
    const one = await call("POST", AXB_PATH, {
      body: { callerNum: "+8613900000001", calleeNum: "+8613900000002", relationNum: X, duration: 10 },
    });
    await call("PUT", AXB_PATH, { body: { subscriptionId: one.body.subscriptionId, userData: "x" } });
    const two = await call("POST", AXB_PATH, {
      body: { callerNum: "+8613900000003", calleeNum: "+8613900000004", relationNum: X },
    });
    await call("DELETE", AXB_PATH, { query: { subscriptionId: String(two.body.subscriptionId) } });
    nowMs += 10_000;
    sim.bindings();
    sim.setNumberStatus("k", X, "abnormal");
    off();
    sim.setNumberStatus("k", X, "normal");
    expect(events).toEqual([
      "bound",
      "modified",
      "bound",
      "unbound:unbind",
      "unbound:expired",
      "numberStatus",
    ]);
  });

  it("serves HTTPS with a user-supplied certificate and key", async () => {
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keyType: "ec",
      algorithm: "sha256",
    });
    sim = await startSimulator({
      apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] }],
      https: { cert: pems.cert, key: pems.private },
    });
    expect(sim.url).toMatch(/^https:/);
    expect(sim.caCertificate).toBe(pems.cert);
  });
});
