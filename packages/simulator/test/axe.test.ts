import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/index.js";
import { AXE_PATH, client, numbers } from "./harness.js";

// AXE bind, unbind, modify and v1.0 query over real HTTP (§6), with an injected clock for lifetimes.

const A = "+8613900000001";
const A2 = "+8613900000002";
const xs = numbers("+8617100000001", 3);
const SMALL = "+8617100000090"; // 1-digit extensions, capacity 2
const OTHER_CITY = "+8617100000091";
const T0 = Date.UTC(2024, 0, 1);

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(extra: Partial<SimulatorOptions> = {}, allowRepeatedA = false) {
  const clock = { ms: T0 };
  sim = await startSimulator({
    apps: [
      {
        appKey: "axe",
        appSecret: "s",
        mode: "AXE",
        ...(allowRepeatedA ? { allowRepeatedA } : {}),
        numbers: [
          ...xs.map((x) => ({ x, city: "0755", province: "GD" })),
          { x: SMALL, city: "020", province: "GD", extensionDigits: 1, capacity: 2 },
          { x: OTHER_CITY, city: "010", province: "BJ" },
        ],
      },
      { appKey: "ax", appSecret: "s2", mode: "AX", numbers: [{ x: "+8617000000001" }] },
    ],
    now: () => clock.ms,
    ...extra,
  });
  const call = client(sim, "axe", "s");
  const bind = async (body: Record<string, unknown>) => (await call("POST", AXE_PATH, { body })).body;
  return { sim, call, clock, bind };
}

describe("AXE bind", () => {
  it("binds A behind the named extension and answers subscriptionId, virtualNum, extendNum", async () => {
    const { sim, bind } = await start();
    const res = await bind({ bindNum: A, virtualNum: xs[0], extendNum: "0042", userData: "order-1" });
    expect(res).toMatchObject({ resultcode: "0", virtualNum: xs[0], extendNum: "0042", bindNum: A });
    expect(sim.bindings("axe")).toEqual([
      expect.objectContaining({
        mode: "AXE",
        subscriptionId: res.subscriptionId,
        x: xs[0],
        a: A,
        extension: "0042",
        durationSeconds: 0,
        userData: "order-1",
      }),
    ]);
  });

  it("assigns the lowest free extension, zero-padded, when extendNum is absent", async () => {
    const { bind, call } = await start();
    expect((await bind({ bindNum: A, virtualNum: xs[0], extendNum: "0001" })).extendNum).toBe("0001");
    expect((await bind({ bindNum: A2, virtualNum: xs[0] })).extendNum).toBe("0002");
    await call("DELETE", AXE_PATH, { query: { virtualNum: xs[0]!, extendNum: "0001" } });
    expect((await bind({ bindNum: "+8613900000003", virtualNum: xs[0] })).extendNum).toBe("0001");
    expect((await bind({ bindNum: A, virtualNum: SMALL })).extendNum).toBe("1");
  });

  it("rejects an extendNum of the wrong length, all zeros or not digits with 1010002", async () => {
    const { sim, call } = await start();
    for (const extendNum of ["42", "00042", "0000", "12a4", "4", 42]) {
      const res = await call("POST", AXE_PATH, { body: { bindNum: A, virtualNum: xs[0], extendNum } });
      expect(res.status).toBe(400);
      expect(res.body.resultcode).toBe("1010002");
    }
    const one = await call("POST", AXE_PATH, { body: { bindNum: A, virtualNum: SMALL, extendNum: "01" } });
    expect(one.body.resultcode).toBe("1010002");
    expect(sim.bindings("axe")).toEqual([]);
  });

  it("answers 1012010 for an extension in use, or the configured code", async () => {
    const { bind } = await start();
    await bind({ bindNum: A, virtualNum: xs[0], extendNum: "0007" });
    expect(await bind({ bindNum: A2, virtualNum: xs[0], extendNum: "0007" })).toMatchObject({
      resultcode: "1012010",
    });
    // The same extension on another X is free.
    expect((await bind({ bindNum: A2, virtualNum: xs[1], extendNum: "0007" })).resultcode).toBe("0");
    await sim?.close();
    const other = await start({ extensionTakenResultCode: "1020167" });
    await other.bind({ bindNum: A, virtualNum: xs[0], extendNum: "0007" });
    expect((await other.bind({ bindNum: A2, virtualNum: xs[0], extendNum: "0007" })).resultcode).toBe(
      "1020167",
    );
  });

  it("answers 1020167 when X holds its capacity, and when no extension is free", async () => {
    const { bind } = await start();
    await bind({ bindNum: A, virtualNum: SMALL });
    await bind({ bindNum: A2, virtualNum: SMALL, extendNum: "9" });
    expect(await bind({ bindNum: "+8613900000003", virtualNum: SMALL })).toMatchObject({
      resultcode: "1020167",
      resultdesc: "No idle extend Number.",
    });
    expect((await bind({ bindNum: "+8613900000003", virtualNum: SMALL, extendNum: "5" })).resultcode).toBe(
      "1020167",
    );
    await sim?.close();
    // Nine 1-digit extensions, capacity 9: the tenth bind finds none free.
    const clock = { ms: T0 };
    sim = await startSimulator({
      apps: [
        {
          appKey: "k",
          appSecret: "s",
          mode: "AXE",
          numbers: [{ x: xs[0]!, extensionDigits: 1, capacity: 9 }],
        },
      ],
      now: () => clock.ms,
    });
    const call = client(sim, "k", "s");
    const got: string[] = [];
    for (const a of numbers("+8613900000100", 10)) {
      const res = await call("POST", AXE_PATH, { body: { bindNum: a, virtualNum: xs[0] } });
      got.push(String(res.body.extendNum ?? res.body.resultcode));
    }
    expect(got).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "1020167"]);
  });

  it("defaults to 4-digit extensions and 200 bindings per X; refuses a capacity beyond the extensions", async () => {
    const clock = { ms: T0 };
    sim = await startSimulator({
      apps: [{ appKey: "k", appSecret: "s", mode: "AXE", numbers: [{ x: xs[0]! }] }],
      now: () => clock.ms,
    });
    const call = client(sim, "k", "s");
    const results = await Promise.all(
      numbers("+8613900001000", 201).map(
        async (a) => (await call("POST", AXE_PATH, { body: { bindNum: a, virtualNum: xs[0] } })).body,
      ),
    );
    expect(results.filter((r) => r.resultcode === "0")).toHaveLength(200);
    expect(results.filter((r) => r.resultcode === "1020167")).toHaveLength(1);
    expect(new Set(results.map((r) => r.extendNum)).has("0200")).toBe(true);
    const bad = (n: object) =>
      startSimulator({
        apps: [{ appKey: "k", appSecret: "s", mode: "AXE", numbers: [{ x: xs[0]!, ...n }] }],
      });
    await expect(bad({ extensionDigits: 2, capacity: 100 })).rejects.toThrow(/99 extensions of 2 digits/);
    await expect(bad({ extensionDigits: 5 })).rejects.toThrow(/extensionDigits must be 1-4/);
    await expect(
      startSimulator({
        apps: [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: xs[0]!, extensionDigits: 2 }] }],
      }),
    ).rejects.toThrow(/only AXE numbers/);
  });

  it("refuses the same A twice on one X with 1012010 unless allowRepeatedA", async () => {
    const { bind } = await start();
    await bind({ bindNum: A, virtualNum: xs[0] });
    expect((await bind({ bindNum: A, virtualNum: xs[0] })).resultcode).toBe("1012010");
    expect((await bind({ bindNum: A, virtualNum: xs[1] })).resultcode).toBe("0");
    await sim?.close();
    const repeat = await start({}, true);
    await repeat.bind({ bindNum: A, virtualNum: xs[0] });
    expect(await repeat.bind({ bindNum: A, virtualNum: xs[0] })).toMatchObject({
      resultcode: "0",
      extendNum: "0002",
    });
  });

  it("picks an X by areaCode, strictly (1012008) or with the province fallback; virtualNum wins", async () => {
    const { bind } = await start();
    const inCity = await bind({ bindNum: A, areaCode: "010" });
    expect(inCity).toMatchObject({ resultcode: "0", virtualNum: OTHER_CITY, extendNum: "0001" });
    // 020 holds only SMALL (1 digit): a 4-digit extension fits nowhere there.
    expect((await bind({ bindNum: A2, areaCode: "020", extendNum: "0001" })).resultcode).toBe("1012008");
    expect((await bind({ bindNum: A2, areaCode: "020", extendNum: "3" })).virtualNum).toBe(SMALL);
    expect((await bind({ bindNum: A, areaCode: "0999" })).resultcode).toBe("1012008");
    const fallback = await bind({ bindNum: A, areaCode: "020", areaMatchMode: "1", extendNum: "0001" });
    expect(xs).toContain(fallback.virtualNum);
    const named = await bind({ bindNum: A2, virtualNum: OTHER_CITY, areaCode: "0755" });
    expect(named.virtualNum).toBe(OTHER_CITY);
  });

  it("answers 1012001 for an X not of the app, the abnormal code on an abnormal X, 1010040 to an AX app", async () => {
    const { sim, bind } = await start();
    expect((await bind({ bindNum: A, virtualNum: "+8618000000000" })).resultcode).toBe("1012001");
    sim.setNumberStatus("axe", xs[2]!, "abnormal");
    expect((await bind({ bindNum: A, virtualNum: xs[2] })).resultcode).toBe("1012102");
    const ax = client(sim, "ax", "s2");
    const res = await ax("POST", AXE_PATH, { body: { bindNum: A, virtualNum: "+8617000000001" } });
    expect(res.status).toBe(403);
    expect(res.body.resultcode).toBe("1010040");
  });

  it("rejects callbackTone with callbackNum, a bad timeUnit, and a lifetime over 90 days with 1010002", async () => {
    const { sim, call } = await start();
    for (const extra of [
      { callbackTone: "tone.wav", callbackNum: A2 },
      { timeUnit: "2" },
      { timeUnit: "0", bindExpiredTime: 2161 },
      { timeUnit: "1", callbackExpiredTime: 129_601 },
      { bindExpiredTime: -1 },
      { callbackTone: "bad tone!" },
      { displayNumMode: "2" },
    ]) {
      const res = await call("POST", AXE_PATH, { body: { bindNum: A, virtualNum: xs[0], ...extra } });
      expect(res.body.resultcode).toBe("1010002");
    }
    expect(sim.bindings("axe")).toEqual([]);
    const ok = await call("POST", AXE_PATH, {
      body: { bindNum: A, virtualNum: xs[0], timeUnit: "1", bindExpiredTime: 129_600 },
    });
    expect(ok.body.resultcode).toBe("0");
  });

  it("expires a binding after bindExpiredTime in hours (default) or minutes; 0 or absent is permanent", async () => {
    const { sim, bind, clock } = await start();
    const hours = await bind({ bindNum: A, virtualNum: xs[0], bindExpiredTime: 2 });
    const minutes = await bind({ bindNum: A2, virtualNum: xs[0], timeUnit: 1, bindExpiredTime: "30" });
    const forever = await bind({ bindNum: "+8613900000003", virtualNum: xs[0], bindExpiredTime: 0 });
    const ids = () => sim.bindings("axe").map((b) => b.subscriptionId);
    expect(sim.bindings("axe").map((b) => b.durationSeconds)).toEqual([7200, 1800, 0]);
    clock.ms = T0 + 1_800_000;
    expect(ids()).toEqual([hours.subscriptionId, forever.subscriptionId]);
    clock.ms = T0 + 7_200_000;
    expect(ids()).toEqual([forever.subscriptionId]);
    // The expired binding's extension is free again.
    expect((await bind({ bindNum: A2, virtualNum: xs[0] })).extendNum).toBe("0001");
    expect(minutes.extendNum).toBe("0002");
  });
});

describe("AXE bindings behind the client's back", () => {
  it("takes the extension given or the lowest free one, and the client's bind then meets it", async () => {
    const { sim, bind } = await start();
    expect(sim.bindBehindBack("axe", { x: xs[0]!, a: A, extension: "0009" })).toEqual({
      subscriptionId: expect.any(String),
      extension: "0009",
    });
    expect(sim.bindBehindBack("axe", { x: xs[0]!, a: A2, durationSeconds: 60 }).extension).toBe("0001");
    expect((await bind({ bindNum: "+8613900000003", virtualNum: xs[0], extendNum: "0009" })).resultcode).toBe(
      "1012010",
    );
    expect(() => sim.bindBehindBack("axe", { x: xs[0]!, a: "+8613900000004", extension: "0001" })).toThrow(
      /1012010/,
    );
  });
});

describe("AXE unbind, modify and query v1.0", () => {
  it("unbinds by subscriptionId (which wins) or by virtualNum + extendNum; 1016001 when gone", async () => {
    const { sim, bind, call } = await start();
    const one = await bind({ bindNum: A, virtualNum: xs[0] });
    const two = await bind({ bindNum: A2, virtualNum: xs[0] });
    const byId = await call("DELETE", AXE_PATH, {
      query: { subscriptionId: String(one.subscriptionId), virtualNum: xs[0]!, extendNum: "0002" },
    });
    expect(byId.body.resultcode).toBe("0");
    expect(sim.bindings("axe").map((b) => b.subscriptionId)).toEqual([two.subscriptionId]);
    const byPair = await call("DELETE", AXE_PATH, { query: { virtualNum: xs[0]!, extendNum: "0002" } });
    expect(byPair.body.resultcode).toBe("0");
    expect(sim.bindings("axe")).toEqual([]);
    const gone: Record<string, string>[] = [
      { subscriptionId: String(one.subscriptionId) },
      { virtualNum: xs[0]!, extendNum: "0002" },
    ];
    for (const query of gone) {
      expect((await call("DELETE", AXE_PATH, { query })).body.resultcode).toBe("1016001");
    }
    expect((await call("DELETE", AXE_PATH, { query: { virtualNum: xs[0]! } })).body.resultcode).toBe(
      "1010002",
    );
  });

  it("queries one binding by subscriptionId or by virtualNum + extendNum, fields at the top level", async () => {
    const { bind, call } = await start();
    const b = await bind({
      bindNum: A,
      virtualNum: xs[0],
      extendNum: "1234",
      timeUnit: "1",
      bindExpiredTime: 60,
      callbackExpiredTime: 10,
      callbackNum: A2,
      recordFlag: "true",
      userData: "order-7",
    });
    const expected = {
      resultcode: "0",
      subscriptionId: b.subscriptionId,
      virtualNum: xs[0],
      extendNum: "1234",
      bindNum: A,
      displayNumMode: "0",
      recordFlag: "true",
      callbackNum: A2,
      timeUnit: "1",
      bindExpiredTime: 60,
      callbackExpiredTime: 10,
      userData: "order-7",
      subscribeTime: "2024-01-01 00:00:00",
    };
    const byId = await call("GET", AXE_PATH, { query: { subscriptionId: String(b.subscriptionId) } });
    expect(byId.body).toMatchObject(expected);
    const byPair = await call("GET", AXE_PATH, { query: { virtualNum: xs[0]!, extendNum: "1234" } });
    expect(byPair.body).toMatchObject(expected);
    const gone = await call("GET", AXE_PATH, { query: { virtualNum: xs[0]!, extendNum: "1235" } });
    expect(gone.body.resultcode).toBe("1016001");
  });

  it("modifies settings; a new bindExpiredTime counts from now, query keeps the bind's values", async () => {
    const { sim, bind, call, clock } = await start();
    const b = await bind({
      bindNum: A,
      virtualNum: xs[0],
      timeUnit: "1",
      bindExpiredTime: 10,
      callbackTone: "t.wav",
    });
    const subscriptionId = String(b.subscriptionId);
    clock.ms = T0 + 5 * 60_000;
    const res = await call("PUT", AXE_PATH, {
      body: { subscriptionId, bindExpiredTime: 30, callbackNum: A2, displayNumMode: "1", userData: "u2" },
    });
    expect(res.body).toMatchObject({ resultcode: "0", subscriptionId, extendNum: "0001" });
    expect(sim.bindings("axe")[0]).toMatchObject({ expiresAtMs: T0 + 35 * 60_000, userData: "u2" });
    const q = await call("GET", AXE_PATH, { query: { subscriptionId } });
    expect(q.body).toMatchObject({
      timeUnit: "1",
      bindExpiredTime: 10,
      callbackNum: A2,
      displayNumMode: "1",
    });
    expect(q.body).not.toHaveProperty("callbackTone");
    // By virtualNum + extendNum, in hours; 0 makes it permanent.
    await call("PUT", AXE_PATH, {
      body: { virtualNum: xs[0], extendNum: "0001", timeUnit: 0, bindExpiredTime: 0 },
    });
    expect(sim.bindings("axe")[0]).toMatchObject({ durationSeconds: 0 });
    expect(sim.bindings("axe")[0]).not.toHaveProperty("expiresAtMs");
    for (const body of [
      { subscriptionId: "nope", bindExpiredTime: 1 },
      { virtualNum: xs[0], extendNum: "0002" },
    ]) {
      expect((await call("PUT", AXE_PATH, { body })).body.resultcode).toBe("1016001");
    }
    const both = await call("PUT", AXE_PATH, {
      body: { subscriptionId, callbackNum: A2, callbackTone: "t.wav" },
    });
    expect(both.body.resultcode).toBe("1010002");
  });
});

describe("AXE and the app's features", () => {
  it("refuses recording on an app without it and tones the app has not approved", async () => {
    sim = await startSimulator({
      apps: [
        {
          appKey: "axe-features",
          appSecret: "s",
          mode: "AXE",
          recording: false,
          approvedToneFiles: ["ok.wav"],
          numbers: [{ x: xs[0]! }],
        },
      ],
    });
    const call = client(sim, "axe-features", "s");
    const bind = async (body: Record<string, unknown>) =>
      (await call("POST", AXE_PATH, { body: { bindNum: A, virtualNum: xs[0], ...body } })).body;
    expect((await bind({ recordFlag: "true" })).resultcode).toBe("1012012");
    expect((await bind({ callbackTone: "other.wav" })).resultcode).toBe("1010002");
    expect((await bind({ callbackTone: "ok.wav" })).resultcode).toBe("0");
    expect(sim.bindings("axe-features")).toHaveLength(1);
  });
});
