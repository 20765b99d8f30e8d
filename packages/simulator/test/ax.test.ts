import { afterEach, describe, expect, it } from "vitest";
import { type AppConfig, type Simulator, startSimulator } from "../src/index.js";
import { AX_CALLEE_PATH, AX_PATH, client, numbers } from "./harness.js";

const A = "+8613900000001";
const A2 = "+8613900000002";
const xs = numbers("+8617000000001", 7);

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(nums: AppConfig["numbers"] = xs.map((x) => ({ x, city: "0755", province: "GD" }))) {
  sim = await startSimulator({ apps: [{ appKey: "ax", appSecret: "s", mode: "AX", numbers: nums }] });
  return { sim, call: client(sim, "ax", "s") };
}

describe("AX mode", () => {
  it("binds A to a named X and answers origNum, privateNum, subscriptionId", async () => {
    const { call } = await start();
    const res = await call("POST", AX_PATH, {
      body: { origNum: A, privateNum: xs[0], calleeNumDisplay: "0" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resultcode: "0", origNum: A, privateNum: xs[0] });
    expect(typeof res.body.subscriptionId).toBe("string");
  });

  it("gives 1011005 when X already belongs to another A", async () => {
    const { call } = await start();
    await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
    const res = await call("POST", AX_PATH, { body: { origNum: A2, privateNum: xs[0] } });
    expect(res.body.resultcode).toBe("1011005");
  });

  it("gives 1011003 to the 6th X of one A", async () => {
    const { call } = await start();
    for (let i = 0; i < 5; i++) {
      expect((await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[i] } })).body.resultcode).toBe(
        "0",
      );
    }
    expect((await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[5] } })).body.resultcode).toBe(
      "1011003",
    );
    expect(
      (
        await call("POST", AX_PATH, {
          body: { origNum: A, areaCode: "0755", privateNumType: "mobile-virtual" },
        })
      ).body.resultcode,
    ).toBe("1011003");
  });

  it("gives 1011001 for an X not of the app and 1011002 when no X is idle", async () => {
    const { call } = await start([{ x: xs[0]!, city: "0755" }]);
    expect(
      (await call("POST", AX_PATH, { body: { origNum: A, privateNum: "+8618000000000" } })).body.resultcode,
    ).toBe("1011001");
    const picked = await call("POST", AX_PATH, {
      body: { origNum: A, areaCode: "0755", privateNumType: "mobile-virtual" },
    });
    expect(picked.body).toMatchObject({ resultcode: "0", privateNum: xs[0] });
    const none = await call("POST", AX_PATH, { body: { origNum: A2, areaCode: "0755", areaMatchMode: "1" } });
    expect(none.body.resultcode).toBe("1011002");
  });

  it("lets privateNum win over areaCode", async () => {
    const { call } = await start();
    const res = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[3], areaCode: "010" } });
    expect(res.body.privateNum).toBe(xs[3]);
  });

  it("fails binds on an abnormal X", async () => {
    const { call, sim } = await start();
    sim.setNumberStatus("ax", xs[0]!, "abnormal");
    expect((await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } })).body.resultcode).toBe(
      "1012102",
    );
  });

  it("queries by origNum, subscriptionId, privateNum; nothing found is 1016001, not an empty list", async () => {
    const { call } = await start();
    const one = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0], userData: "u1" } });
    await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[1] } });
    const byA = await call("GET", AX_PATH, { query: { origNum: A } });
    expect(byA.body).toMatchObject({ resultcode: "0", totalCount: 2 });
    expect(byA.body.privateNumList).toEqual([
      expect.objectContaining({ origNum: A, privateNum: xs[0], userData: "u1" }),
      expect.objectContaining({ origNum: A, privateNum: xs[1] }),
    ]);
    const byId = await call("GET", AX_PATH, {
      query: { subscriptionId: String(one.body.subscriptionId), origNum: A2 },
    });
    expect(byId.body.privateNumList).toHaveLength(1);
    const byX = await call("GET", AX_PATH, { query: { privateNum: xs[1]! } });
    expect((byX.body.privateNumList as Array<{ origNum: string }>)[0]?.origNum).toBe(A);
    const none = await call("GET", AX_PATH, { query: { origNum: A2 } });
    expect(none.status).toBeGreaterThanOrEqual(400);
    expect(none.body.resultcode).toBe("1016001");
    expect(none.body.privateNumList).toBeUndefined();
  });

  it("unbinds by subscriptionId or by origNum+privateNum; a second unbind is 1016001", async () => {
    const { call, sim } = await start();
    const one = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
    await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[1] } });
    expect(
      (await call("DELETE", AX_PATH, { query: { subscriptionId: String(one.body.subscriptionId) } })).body
        .resultcode,
    ).toBe("0");
    expect((await call("DELETE", AX_PATH, { body: { origNum: A, privateNum: xs[1] } })).body.resultcode).toBe(
      "0",
    );
    expect(sim.bindings()).toEqual([]);
    expect(
      (await call("DELETE", AX_PATH, { query: { subscriptionId: String(one.body.subscriptionId) } })).body
        .resultcode,
    ).toBe("1016001");
    expect(
      (await call("DELETE", AX_PATH, { query: { origNum: A, privateNum: "+8618000000000" } })).body
        .resultcode,
    ).toBe("1011004");
  });

  it("modifies the A of a binding, respecting the 5-X limit of the new A", async () => {
    const { call, sim } = await start();
    const one = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
    const res = await call("PUT", AX_PATH, {
      body: { subscriptionId: one.body.subscriptionId, origNum: A2 },
    });
    expect(res.body.resultcode).toBe("0");
    expect(sim.bindings()[0]?.a).toBe(A2);
    for (let i = 1; i < 5; i++) await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[i] } });
    await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[5] } });
    const full = await call("PUT", AX_PATH, { body: { privateNum: xs[0], origNum: A } });
    expect(full.body.resultcode).toBe("1011003");
  });

  it("sets a temporary callee for A's next call", async () => {
    const { call } = await start();
    const one = await call("POST", AX_PATH, { body: { origNum: A, privateNum: xs[0] } });
    const res = await call("PUT", AX_CALLEE_PATH, {
      body: { subscriptionId: one.body.subscriptionId, calleeNum: "+8613700000001", duration: 60 },
    });
    expect(res.body.resultcode).toBe("0");
    const same = await call("PUT", AX_CALLEE_PATH, { body: { privateNum: xs[0], calleeNum: A } });
    expect(same.body.resultcode).toBe("1010002");
  });
});
