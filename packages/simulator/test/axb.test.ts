import { afterEach, describe, expect, it } from "vitest";
import { type AppConfig, type Simulator, type SimulatorOptions, startSimulator } from "../src/index.js";
import { AXB_PATH, client, numbers } from "./harness.js";

const X1 = "+8613800000001";
const X2 = "+8613800000002";
const A = "+8613900000001";
const B = "+8613900000002";
const C = "+8613900000003";
const D = "+8613900000004";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(numbersOf: AppConfig["numbers"], extra: Partial<SimulatorOptions> = {}) {
  sim = await startSimulator({
    apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: numbersOf }],
    ...extra,
  });
  return { sim, call: client(sim, "k", "s") };
}

describe("AXB bind", () => {
  it("binds A and B on X and echoes integers for duration, callDirection, maxDuration", async () => {
    const { call } = await start([{ x: X1 }]);
    const res = await call("POST", AXB_PATH, {
      body: {
        callerNum: A,
        calleeNum: B,
        relationNum: X1,
        duration: "3600",
        maxDuration: 30,
        recordFlag: true,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resultcode: "0",
      resultdesc: "Success",
      relationNum: X1,
      duration: 3600,
      maxDuration: 30,
      callDirection: 0,
    });
    expect(typeof res.body.subscriptionId).toBe("string");
  });

  it("lets AXB and CXD share X but gives 1012010 to a second pair sharing a user number", async () => {
    const { call } = await start([{ x: X1 }]);
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } })).body
        .resultcode,
    ).toBe("0");
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } })).body
        .resultcode,
    ).toBe("0");
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: B, calleeNum: "+8613900000009", relationNum: X1 },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.resultcode).toBe("1012010");
  });

  it("gives 1012009 to the pair beyond the X's capacity", async () => {
    const { call } = await start([{ x: X1, capacity: 3 }]);
    const users = numbers("+8613700000000", 8);
    for (let i = 0; i < 3; i++) {
      const res = await call("POST", AXB_PATH, {
        body: { callerNum: users[2 * i], calleeNum: users[2 * i + 1], relationNum: X1 },
      });
      expect(res.body.resultcode).toBe("0");
    }
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: users[6], calleeNum: users[7], relationNum: X1 },
    });
    expect(res.body.resultcode).toBe("1012009");
  });

  it("gives 1012001 for an X that is not the app's and 1010002 for a bad number", async () => {
    const { call } = await start([{ x: X1 }]);
    const res = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X2 } });
    expect(res.status).toBe(403);
    expect(res.body.resultcode).toBe("1012001");
    const bad = await call("POST", AXB_PATH, { body: { callerNum: "abc", calleeNum: B, relationNum: X1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.resultcode).toBe("1010002");
    const missing = await call("POST", AXB_PATH, { body: { calleeNum: B, relationNum: X1 } });
    expect(missing.body.resultcode).toBe("1010002");
  });

  it("accepts null for absent fields, string flags and a JSON-encoded userData", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const res = await call("POST", AXB_PATH, {
      body: {
        callerNum: A,
        calleeNum: B,
        relationNum: X1,
        areaCode: null,
        duration: null,
        recordFlag: "false",
        callDirection: "0",
        userData: JSON.stringify({ order: 42 }),
      },
    });
    expect(res.body.resultcode).toBe("0");
    expect(sim.bindings()[0]).toMatchObject({ durationSeconds: 0, userData: '{"order":42}' });
    expect(sim.bindings()[0]?.expiresAtMs).toBeUndefined();
  });

  it("fails binds on an abnormal X with 1012102, or a configured code", async () => {
    const { call, sim } = await start([{ x: X1 }, { x: X2, status: "abnormal" }]);
    sim.setNumberStatus("k", X1, "abnormal");
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } })).body
        .resultcode,
    ).toBe("1012102");
    sim.setNumberStatus("k", X1, "normal");
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } })).body
        .resultcode,
    ).toBe("0");
    await sim.close();
    const other = await start([{ x: X1, status: "abnormal" }], { abnormalResultCode: "1012103" });
    const res = await other.call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    expect(res.body.resultcode).toBe("1012103");
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it("gives 1012010 for a user bound behind the client's back", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const { subscriptionId } = sim.bindBehindBack("k", { x: X1, a: A, b: C });
    expect(sim.bindings("k").map((b) => b.subscriptionId)).toEqual([subscriptionId]);
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } })).body
        .resultcode,
    ).toBe("1012010");
  });
});

describe("AXB area selection", () => {
  const pool = [
    { x: "+8675500000001", city: "0755", province: "GD" },
    { x: "+862000000001", city: "020", province: "GD" },
    { x: "+861000000001", city: "010", province: "BJ" },
  ];

  it("picks an idle X of the requested city", async () => {
    const { call } = await start(pool);
    const res = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, areaCode: "0755" } });
    expect(res.body).toMatchObject({ resultcode: "0", relationNum: "+8675500000001" });
    const again = await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, areaCode: "010" } });
    expect(again.body.relationNum).toBe("+861000000001");
  });

  it("strict mode (0, default) gives 1012008 when the city has no idle X", async () => {
    const { call } = await start(pool);
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, areaCode: "0755" } })).body
        .resultcode,
    ).toBe("0");
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: C, areaCode: "0755", areaMatchMode: "0" },
    });
    expect(res.body.resultcode).toBe("1012008");
    const unknownCity = await call("POST", AXB_PATH, {
      body: { callerNum: C, calleeNum: D, areaCode: "0571" },
    });
    expect(unknownCity.body.resultcode).toBe("1012008");
  });

  it("fallback mode (1) tries the same province first, then any X", async () => {
    const { call } = await start(pool);
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, areaCode: "0755" } })).body
        .resultcode,
    ).toBe("0");
    const sameProvince = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: C, areaCode: "0755", areaMatchMode: 1 },
    });
    expect(sameProvince.body).toMatchObject({ resultcode: "0", relationNum: "+862000000001" });
    const anywhere = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: D, areaCode: "0755", areaMatchMode: "1" },
    });
    expect(anywhere.body).toMatchObject({ resultcode: "0", relationNum: "+861000000001" });
    const none = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: "+8613900000009", areaCode: "0755", areaMatchMode: 1 },
    });
    expect(none.body.resultcode).toBe("1012008");
  });

  it("lets relationNum win over areaCode", async () => {
    const { call } = await start(pool);
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, areaCode: "0755", relationNum: "+861000000001" },
    });
    expect(res.body.relationNum).toBe("+861000000001");
  });
});

describe("AXB unbind", () => {
  it("unbinds by subscriptionId in the query string, then answers 1012007", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const bound = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    const subscriptionId = String(bound.body.subscriptionId);
    const res = await call("DELETE", AXB_PATH, { query: { subscriptionId } });
    expect(res).toMatchObject({ status: 200, body: { resultcode: "0" } });
    expect(sim.bindings()).toEqual([]);
    const again = await call("DELETE", AXB_PATH, { query: { subscriptionId } });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.body.resultcode).toBe("1012007");
    // A and B are free again on X.
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: B, calleeNum: A, relationNum: X1 } })).body
        .resultcode,
    ).toBe("0");
  });

  it("unbinds by a JSON body only, and by an urlencoded body", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const one = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    const two = await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } });
    expect(
      (await call("DELETE", AXB_PATH, { body: { subscriptionId: one.body.subscriptionId } })).body.resultcode,
    ).toBe("0");
    const form = await call("DELETE", AXB_PATH, {
      rawBody: `subscriptionId=${encodeURIComponent(String(two.body.subscriptionId))}`,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(form.body.resultcode).toBe("0");
    expect(sim.bindings()).toEqual([]);
  });

  it("lets subscriptionId win over relationNum", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const one = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } });
    await call("DELETE", AXB_PATH, {
      query: { subscriptionId: String(one.body.subscriptionId), relationNum: X1 },
    });
    expect(sim.bindings().map((b) => b.a)).toEqual([C]);
  });

  it("removes every binding on X when relationNum is sent alone", async () => {
    const { call, sim } = await start([{ x: X1 }, { x: X2 }]);
    await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } });
    await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X2 } });
    const res = await call("DELETE", AXB_PATH, { query: { relationNum: X1 } });
    expect(res.body.resultcode).toBe("0");
    expect(sim.bindings().map((b) => b.x)).toEqual([X2]);
    expect((await call("DELETE", AXB_PATH, { query: { relationNum: X1 } })).body.resultcode).toBe("1012007");
  });

  it("reads an unescaped + in the query string (decoded as a space) as +", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    const url = `${AXB_PATH}?relationNum=${X1}`;
    const res = await call("DELETE", url);
    expect(res.body.resultcode).toBe("0");
    expect(sim.bindings()).toEqual([]);
  });
});

describe("AXB modify", () => {
  it("changes B, treats re-sending the unchanged A as fine, and refuses a number bound by another pair", async () => {
    const { call, sim } = await start([{ x: X1 }]);
    const one = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } });
    await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } });
    const subscriptionId = one.body.subscriptionId;
    const same = await call("PUT", AXB_PATH, { body: { subscriptionId, callerNum: A, calleeNum: B } });
    expect(same.body.resultcode).toBe("0");
    const changed = await call("PUT", AXB_PATH, {
      body: { subscriptionId, callerNum: A, calleeNum: "+8613900000009" },
    });
    expect(changed.body.resultcode).toBe("0");
    expect(sim.bindings()[0]?.b).toBe("+8613900000009");
    // B is free again, C is taken by the other pair.
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: B, calleeNum: "+8613900000010", relationNum: X1 } }))
        .body.resultcode,
    ).toBe("0");
    const clash = await call("PUT", AXB_PATH, { body: { subscriptionId, calleeNum: C } });
    expect(clash.body.resultcode).toBe("1012010");
    const missing = await call("PUT", AXB_PATH, { body: { subscriptionId: "nope", calleeNum: C } });
    expect(missing.body.resultcode).toBe("1012007");
  });

  it("restarts the lifetime from the modify when duration is sent", async () => {
    let nowMs = 1_700_000_000_000;
    const { call, sim } = await start([{ x: X1 }], { now: () => nowMs });
    const one = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X1, duration: 60 },
    });
    nowMs += 50_000;
    await call("PUT", AXB_PATH, { body: { subscriptionId: one.body.subscriptionId, duration: 60 } });
    nowMs += 50_000;
    expect(sim.bindings()).toHaveLength(1);
    nowMs += 10_001;
    expect(sim.bindings()).toHaveLength(0);
  });
});

describe("AXB query and expiry", () => {
  it("pages the bindings of X with pageIndex/pageSize and totalCount", async () => {
    const { call } = await start([{ x: X1 }]);
    const users = numbers("+8613700000000", 50);
    for (let i = 0; i < 25; i++) {
      await call("POST", AXB_PATH, {
        body: { callerNum: users[2 * i], calleeNum: users[2 * i + 1], relationNum: X1 },
      });
    }
    const page1 = await call("GET", AXB_PATH, { query: { relationNum: X1, pageIndex: 1, pageSize: 10 } });
    expect(page1.body).toMatchObject({
      resultcode: "0",
      app_key: "k",
      pageIndex: 1,
      pageSize: 10,
      totalCount: 25,
    });
    const list1 = page1.body.relationNumList as Array<Record<string, unknown>>;
    expect(list1).toHaveLength(10);
    expect(list1[0]).toMatchObject({
      relationNum: X1,
      callerNum: users[0],
      calleeNum: users[1],
      duration: 0,
    });
    expect(list1[0]?.subscribeTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const page3 = await call("GET", AXB_PATH, { query: { relationNum: X1, pageIndex: 3, pageSize: 10 } });
    expect(page3.body.relationNumList).toHaveLength(5);
    const defaultSize = await call("GET", AXB_PATH, { query: { relationNum: X1, pageSize: 5 } });
    expect(defaultSize.body.pageSize).toBe(50);
    expect(defaultSize.body.relationNumList).toHaveLength(25);
  });

  it("finds one binding by subscriptionId, by X+A+B, and by A+B without X; answers 1012007 when none", async () => {
    const { call } = await start([{ x: X1 }, { x: X2 }]);
    await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1 } });
    const one = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X2 } });
    const byId = await call("GET", AXB_PATH, {
      query: { subscriptionId: String(one.body.subscriptionId), relationNum: X1 },
    });
    expect(byId.body.relationNumList).toEqual([
      expect.objectContaining({ subscriptionId: one.body.subscriptionId }),
    ]);
    const byTriple = await call("GET", AXB_PATH, { query: { relationNum: X2, callerNum: A, calleeNum: B } });
    expect(byTriple.body.totalCount).toBe(1);
    const byPair = await call("GET", AXB_PATH, { query: { callerNum: A, calleeNum: B } });
    expect((byPair.body.relationNumList as Array<{ relationNum: string }>)[0]?.relationNum).toBe(X2);
    const none = await call("GET", AXB_PATH, { query: { relationNum: X1, callerNum: A } });
    expect(none.body.resultcode).toBe("1012007");
    const viaGetBody = await call("GET", AXB_PATH, {
      rawBody: `relationNum=${encodeURIComponent(X2)}`,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(viaGetBody.body.totalCount).toBe(1);
  });

  it("expires a binding at its duration by the injected clock, and keeps duration 0 forever", async () => {
    let nowMs = 1_700_000_000_000;
    const { call, sim } = await start([{ x: X1 }], { now: () => nowMs });
    await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1, duration: 120 } });
    await call("POST", AXB_PATH, { body: { callerNum: C, calleeNum: D, relationNum: X1, duration: 0 } });
    expect(sim.bindings()[0]?.expiresAtMs).toBe(nowMs + 120_000);
    nowMs += 119_000;
    expect((await call("GET", AXB_PATH, { query: { relationNum: X1 } })).body.totalCount).toBe(2);
    nowMs += 1_000;
    expect((await call("GET", AXB_PATH, { query: { relationNum: X1 } })).body.totalCount).toBe(1);
    // A is free again on X after expiry.
    expect(
      (await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X1 } })).body
        .resultcode,
    ).toBe("0");
    nowMs += 365 * 24 * 3600_000;
    expect(sim.bindings()).toHaveLength(2);
  });

  it("rejects a duration over 90 days with 1010002", async () => {
    const { call } = await start([{ x: X1 }]);
    const res = await call("POST", AXB_PATH, {
      body: { callerNum: A, calleeNum: B, relationNum: X1, duration: 7_776_001 },
    });
    expect(res.body.resultcode).toBe("1010002");
  });
});
