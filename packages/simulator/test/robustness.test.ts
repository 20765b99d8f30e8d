import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, type SimulatorOptions, startSimulator } from "../src/index.js";
import { AXB_PATH, authHeaders, client, rawRequest } from "./harness.js";

const X = "+8613800000001";
const A = "+8613900000001";
const B = "+8613900000002";
const apps: SimulatorOptions["apps"] = [{ appKey: "k", appSecret: "s", mode: "AXB", numbers: [{ x: X }] }];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<Simulator> {
  sim = await startSimulator({ apps });
  return sim;
}

function signedHead(method: string, target: string, extra: Record<string, string | number> = {}): string {
  const headers = { ...authHeaders("k", "s"), Host: "sim", Connection: "close", ...extra };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`;
}

describe("malformed requests", () => {
  it("answers a request URI that does not parse (GET //[) with 400 and a JSON result code", async () => {
    const sim = await start();
    const answer = await rawRequest(sim, signedHead("GET", "//["));
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toMatch(/application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "1010002" });
  });

  it("answers a request line the HTTP parser rejects with 400 and a JSON result code", async () => {
    const sim = await start();
    const answer = await rawRequest(sim, "NOT A REQUEST\r\n\r\n");
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "1010002" });
  });

  it("serves a base URL given with a trailing slash (//rest/...)", async () => {
    const sim = await start();
    const call = client(sim, "k", "s");
    const bound = await call("POST", `/${AXB_PATH}`, {
      body: { callerNum: A, calleeNum: B, relationNum: X },
    });
    expect(bound.status).toBe(200);
    expect(bound.body.resultcode).toBe("0");
    const found = await call("GET", `//${AXB_PATH}/`, { query: { relationNum: X } });
    expect(found.body).toMatchObject({ resultcode: "0", totalCount: 1 });
    expect(sim.stats().byPath).toEqual({ [AXB_PATH]: 2 });
  });
});

describe("request bodies", () => {
  it("answers a body over 1 MiB with 413 and a result code after reading it, then serves the next request", async () => {
    const sim = await start();
    const size = 1024 * 1024 + 512 * 1024;
    const body = Buffer.alloc(size, "a");
    const answer = await rawRequest(sim, signedHead("POST", AXB_PATH, { "Content-Length": size }), body);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "1010002" });
    expect((await client(sim, "k", "s")("GET", AXB_PATH, { query: { relationNum: X } })).status).toBe(200);
  });

  it("answers a chunked body that grows over 1 MiB with 413", async () => {
    const sim = await start();
    const chunk = Buffer.alloc(256 * 1024, "b");
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${sim.url}${AXB_PATH}`,
        { method: "POST", headers: authHeaders("k", "s") },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 6; i++) req.write(chunk);
      req.end();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "1010002" });
  });

  it("answers 413 at once to a too large body announced with Expect: 100-continue, without reading it", async () => {
    const sim = await start();
    const answer = await rawRequest(
      sim,
      signedHead("POST", AXB_PATH, { "Content-Length": 5 * 1024 * 1024, Expect: "100-continue" }),
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: "1010002" });
  });

  it("reads GET and DELETE parameters from the query string when the body does not parse", async () => {
    const sim = await start();
    const call = client(sim, "k", "s");
    const bound = await call("POST", AXB_PATH, { body: { callerNum: A, calleeNum: B, relationNum: X } });
    const subscriptionId = String(bound.body.subscriptionId);
    const found = await call("GET", AXB_PATH, { query: { relationNum: X }, rawBody: "{not json" });
    expect(found.body).toMatchObject({ resultcode: "0", totalCount: 1 });
    const gone = await call("DELETE", AXB_PATH, { query: { subscriptionId }, rawBody: "garbage" });
    expect(gone.body.resultcode).toBe("0");
    expect(sim.bindings()).toEqual([]);
  });

  it("still refuses a POST whose body does not parse", async () => {
    const sim = await start();
    const res = await client(sim, "k", "s")("POST", AXB_PATH, { rawBody: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body.resultcode).toBe("1010002");
  });
});

describe("garbage traffic", () => {
  it("keeps the counters bounded when many unknown usernames and paths arrive", async () => {
    const sim = await start();
    const call = client(sim, "k", "s");
    for (let i = 0; i < 200; i++) {
      const stranger = client(sim, `user-${randomBytes(6).toString("hex")}`, "secret");
      expect((await stranger("GET", AXB_PATH, { query: { relationNum: X } })).body.resultcode).toBe(
        "1010003",
      );
      await call("GET", `/rest/${randomBytes(6).toString("hex")}/v1.0`);
    }
    await call("GET", AXB_PATH, { query: { relationNum: X } });
    const stats = sim.stats();
    expect(stats.requests).toBe(401);
    expect(Object.keys(stats.maxPerSecond)).toEqual(["k"]);
    expect(Object.keys(stats.byPath).length).toBeLessThanOrEqual(2);
    expect(Object.keys(stats.byRoute).length).toBeLessThanOrEqual(2);
    expect(stats.byResultCode).toMatchObject({ "1010003": 200, "1010002": 200, "0": 1 });
  });
});
