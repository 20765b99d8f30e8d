import { request } from "node:https";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/index.js";
import { AX_PATH, AXB_PATH, authHeaders, client, numbers } from "./harness.js";

const X = "+8613800000001";
const apps: SimulatorOptions["apps"] = [
  { appKey: "axb", appSecret: "s1", mode: "AXB", numbers: [{ x: X }] },
  { appKey: "ax", appSecret: "s2", mode: "AX", numbers: [{ x: "+8617000000001" }] },
];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function bindBody(i: number) {
  const [a, b] = numbers(`+861370000${String(2 * i).padStart(4, "0")}`, 2);
  return { callerNum: a, calleeNum: b, relationNum: X };
}

describe("apps and modes", () => {
  it("serves several apps and answers 1010040 when an app calls another mode's API", async () => {
    sim = await startSimulator({ apps });
    const axb = client(sim, "axb", "s1");
    const ax = client(sim, "ax", "s2");
    const wrong = await axb("POST", AX_PATH, { body: { origNum: "+8613900000001", privateNum: X } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.resultcode).toBe("1010040");
    const wrong2 = await ax("GET", AXB_PATH, { query: { relationNum: X } });
    expect(wrong2.body.resultcode).toBe("1010040");
    expect(
      (await ax("POST", AX_PATH, { body: { origNum: "+8613900000001", privateNum: "+8617000000001" } })).body
        .resultcode,
    ).toBe("0");
    expect(sim.bindings("ax")).toHaveLength(1);
    expect(sim.bindings("axb")).toHaveLength(0);
  });

  it("answers an unknown path with HTTP 404 and a JSON body", async () => {
    sim = await startSimulator({ apps });
    const res = await client(sim, "axb", "s1")("GET", "/rest/nothing/v1.0");
    expect(res.status).toBe(404);
    expect(res.body.resultcode).toBe("1010002");
  });

  it("refuses a number configured in two apps", async () => {
    await expect(
      startSimulator({
        apps: [
          { appKey: "a", appSecret: "s", mode: "AXB", numbers: [{ x: X }] },
          { appKey: "b", appSecret: "s", mode: "AXB", numbers: [{ x: X }] },
        ],
      }),
    ).rejects.toThrow(/configured twice/);
  });
});

describe("HTTPS", () => {
  it("serves TLS 1.2 with a generated self-signed certificate that verifies with the given CA", async () => {
    sim = await startSimulator({ apps, https: true });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = sim.caCertificate;
    expect(ca).toContain("BEGIN CERTIFICATE");
    const url = new URL(`${sim.url}${AXB_PATH}`);
    url.searchParams.set("relationNum", X);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "GET",
          ca,
          headers: authHeaders("axb", "s1"),
          minVersion: "TLSv1.2",
          maxVersion: "TLSv1.2",
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "0", totalCount: 0 });
  });

  it("rejects the connection for a client that verifies without the CA", async () => {
    sim = await startSimulator({ apps, https: true });
    const url = `${sim.url}${AXB_PATH}`;
    const err = await new Promise<Error>((resolve) => {
      const req = request(url, { method: "GET" }, () => resolve(new Error("unexpected answer")));
      req.on("error", resolve);
      req.end();
    });
    expect(err.message).toMatch(/self[- ]signed|certificate/i);
  });
});

describe("fault injection", () => {
  it("answers HTTP 500 with 1010001 and flow control 1010010 at rate 1, without taking effect", async () => {
    sim = await startSimulator({ apps, faults: { serverErrorRate: 1 } });
    const call = client(sim, "axb", "s1");
    const res = await call("POST", AXB_PATH, { body: bindBody(1) });
    expect(res.status).toBe(500);
    expect(res.body.resultcode).toBe("1010001");
    sim.faults.set({ serverErrorRate: 0, flowControlRate: 1 });
    const flow = await call("POST", AXB_PATH, { body: bindBody(1) });
    expect(flow.status).toBeGreaterThanOrEqual(400);
    expect(flow.body.resultcode).toBe("1010010");
    expect(sim.bindings()).toEqual([]);
    expect(sim.stats().faults).toEqual({ serverError: 1, flowControl: 1 });
    sim.faults.reset();
    expect((await call("POST", AXB_PATH, { body: bindBody(1) })).body.resultcode).toBe("0");
  });

  it("injects a share of faults reproducibly with a seed", async () => {
    sim = await startSimulator({ apps, faults: { flowControlRate: 0.5, seed: 7 } });
    const call = client(sim, "axb", "s1");
    const codes: string[] = [];
    for (let i = 0; i < 40; i++)
      codes.push((await call("GET", AXB_PATH, { query: { relationNum: X } })).body.resultcode);
    sim.faults.set({ seed: 7 });
    const again: string[] = [];
    for (let i = 0; i < 40; i++)
      again.push((await call("GET", AXB_PATH, { query: { relationNum: X } })).body.resultcode);
    expect(again).toEqual(codes);
    const flow = codes.filter((c) => c === "1010010").length;
    expect(flow).toBeGreaterThan(5);
    expect(flow).toBeLessThan(35);
  });

  it("adds latency", async () => {
    sim = await startSimulator({ apps, faults: { latencyMs: [150, 200] } });
    const started = performance.now();
    await client(sim, "axb", "s1")("GET", AXB_PATH, { query: { relationNum: X } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it("holds a timed-out request without an answer while the bind still takes effect", async () => {
    sim = await startSimulator({ apps, faults: { timeoutRate: 1 } });
    const call = client(sim, "axb", "s1");
    const outcome = await Promise.race([
      call("POST", AXB_PATH, { body: bindBody(2) }).then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve("no answer"), 300)),
    ]);
    expect(outcome).toBe("no answer");
    expect(sim.bindings()).toHaveLength(1);
    expect(sim.stats().faults).toEqual({ timeout: 1 });
    await sim.close();
  });

  it("answers a held request after hangMs", async () => {
    sim = await startSimulator({ apps, faults: { timeoutRate: 1, hangMs: 250 } });
    const started = performance.now();
    const res = await client(sim, "axb", "s1")("POST", AXB_PATH, { body: bindBody(3) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
    expect(res.body.resultcode).toBe("0");
  });

  it("can hold a request that does not take effect", async () => {
    sim = await startSimulator({ apps, faults: { timeoutRate: 1, timeoutTakesEffect: false } });
    const call = client(sim, "axb", "s1");
    void call("POST", AXB_PATH, { body: bindBody(4) }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.stats().requests).toBe(1);
    expect(sim.bindings()).toEqual([]);
  });
});

describe("rate limit and statistics", () => {
  it("answers 1010010 beyond requestsPerSecond per app key and records the peak rate", async () => {
    sim = await startSimulator({ apps, rateLimit: { requestsPerSecond: 5 } });
    const call = client(sim, "axb", "s1");
    // Align to the start of a wall-clock second so the burst lands in one window.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call("GET", AXB_PATH, { query: { relationNum: X } })),
    );
    const codes = answers.map((a) => a.body.resultcode).sort();
    expect(codes.filter((c) => c === "0")).toHaveLength(5);
    expect(codes.filter((c) => c === "1010010")).toHaveLength(3);
    const stats = sim.stats();
    expect(stats.maxPerSecond.axb).toBe(8);
    expect(stats.byResultCode).toEqual({ "0": 5, "1010010": 3 });
  });

  it("counts requests per path and per result code", async () => {
    sim = await startSimulator({ apps });
    const axb = client(sim, "axb", "s1");
    const ax = client(sim, "ax", "s2");
    await axb("POST", AXB_PATH, { body: bindBody(5) });
    await axb("POST", AXB_PATH, { body: bindBody(5) });
    await ax("GET", AX_PATH, { query: { origNum: "+8613900000001" } });
    const stats = sim.stats();
    expect(stats.requests).toBe(3);
    expect(stats.byPath).toEqual({ [AXB_PATH]: 2, [AX_PATH]: 1 });
    expect(stats.byRoute[`POST ${AXB_PATH}`]).toBe(2);
    expect(stats.byResultCode).toEqual({ "0": 1, "1012010": 1, "1016001": 1 });
    expect(stats.maxPerSecond.axb).toBeGreaterThanOrEqual(1);
    sim.resetStats();
    expect(sim.stats().requests).toBe(0);
  });
});
