import { createServer } from "node:net";
import type { Outcome, RateLimiter } from "@bindpool/core";
import type { Simulator } from "@bindpool/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HuaweiDriver } from "../src/index.js";
import { AX_APP, AX_X, AXB_APP, AXB_SMALL_X, AXB_X, driverFor, startPlatform, user } from "./harness.js";

let sim: Simulator;
let next = 0;
/** A user number no other test has used. */
const fresh = (): string => user(1000 + next++);

beforeAll(async () => {
  sim = await startPlatform();
});
afterEach(() => sim.faults.reset());
afterAll(() => sim.close());

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== "ok")
    throw new Error(`expected ok, got ${outcome.kind} ${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

const [X1, X2, X3] = AXB_X;

describe("AXB against the simulator", () => {
  it("binds a pair to an X and the platform holds it", async () => {
    const driver = driverFor(sim);
    const a = fresh();
    const b = fresh();
    const bound = ok(
      await driver.bind({ mode: "AXB", x: X1, a, b, durationSeconds: 600, userData: "order-1" }),
    );
    expect(bound.x).toBe(X1);
    expect(sim.bindings(AXB_APP.appKey)).toContainEqual(
      expect.objectContaining({ subscriptionId: bound.subscriptionId, x: X1, a, b, durationSeconds: 600 }),
    );
    expect(driver.stats()).toEqual({ requests: 1, byKind: { ok: 1 }, byCode: { "0": 1 } });
  });

  it("answers conflict when a second pair shares a user on the same X", async () => {
    const driver = driverFor(sim);
    const a = fresh();
    ok(await driver.bind({ mode: "AXB", x: X2, a, b: fresh(), durationSeconds: 60 }));
    const second = await driver.bind({ mode: "AXB", x: X2, a, b: fresh(), durationSeconds: 60 });
    expect(second).toMatchObject({ kind: "conflict", code: "1012010" });
    // The same user on another X is fine.
    ok(await driver.bind({ mode: "AXB", x: X3, a, b: fresh(), durationSeconds: 60 }));
  });

  it("answers conflict for a pair bound behind bindpool's back", async () => {
    const a = fresh();
    sim.bindBehindBack(AXB_APP.appKey, { x: X3, a, b: fresh() });
    const outcome = await driverFor(sim).bind({ mode: "AXB", x: X3, a, b: fresh(), durationSeconds: 60 });
    expect(outcome.kind).toBe("conflict");
  });

  it("answers exhausted when the X is full", async () => {
    const driver = driverFor(sim);
    ok(await driver.bind({ mode: "AXB", x: AXB_SMALL_X, a: fresh(), b: fresh(), durationSeconds: 60 }));
    const full = await driver.bind({
      mode: "AXB",
      x: AXB_SMALL_X,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(full.kind).toBe("exhausted");
    expect(["1012008", "1012009"]).toContain(full.kind === "ok" ? "" : full.code);
  });

  it("answers numberAbnormal when the X is abnormal, and binds again once it is normal", async () => {
    const driver = driverFor(sim);
    sim.setNumberStatus(AXB_APP.appKey, X1, "abnormal");
    try {
      const outcome = await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 });
      expect(outcome.kind).toBe("numberAbnormal");
    } finally {
      sim.setNumberStatus(AXB_APP.appKey, X1, "normal");
    }
    ok(await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 }));
  });

  it("answers numberAbnormal for an X that is not the app's", async () => {
    const outcome = await driverFor(sim).bind({
      mode: "AXB",
      x: "+8617099999999",
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(outcome).toMatchObject({ kind: "numberAbnormal", code: "1012001" });
  });

  it("answers auth for a wrong app secret and for an unknown app key", async () => {
    const badSecret = await driverFor(sim, { appSecret: "wrong" }).bind({
      mode: "AXB",
      x: X1,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(badSecret.kind).toBe("auth");
    const badKey = await driverFor(sim, { appKey: "nobody" }).query({ mode: "AXB", x: X1 });
    expect(badKey.kind).toBe("auth");
  });

  it("answers modeMismatch when an AXB app is called with the AX API", async () => {
    const outcome = await driverFor(sim).bind({ mode: "AX", x: X1, a: fresh(), durationSeconds: 0 });
    expect(outcome).toMatchObject({ kind: "modeMismatch", code: "1010040" });
  });

  it("unbinds by subscriptionId only, then answers notFound", async () => {
    const driver = driverFor(sim);
    const a = fresh();
    const keep = ok(await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 }));
    const gone = ok(await driver.bind({ mode: "AXB", x: X1, a, b: fresh(), durationSeconds: 60 }));
    ok(await driver.unbind({ mode: "AXB", subscriptionId: gone.subscriptionId }));
    const ids = sim.bindings(AXB_APP.appKey).map((b) => b.subscriptionId);
    expect(ids).not.toContain(gone.subscriptionId);
    expect(ids).toContain(keep.subscriptionId); // the other pair on the same X survives
    expect(await driver.unbind({ mode: "AXB", subscriptionId: gone.subscriptionId })).toMatchObject({
      kind: "notFound",
    });
  });

  it("queries a binding by X and user, and by subscriptionId", async () => {
    const driver = driverFor(sim);
    const a = fresh();
    const b = fresh();
    const before = Date.now();
    const bound = ok(await driver.bind({ mode: "AXB", x: X2, a, b, durationSeconds: 900, userData: "u-9" }));
    const after = Date.now();
    const expected = {
      subscriptionId: bound.subscriptionId,
      x: X2,
      a,
      b,
      durationSeconds: 900,
      // subscribeTime: whole seconds
      boundAtMs: expect.toSatisfy((ms: number) => ms >= Math.floor(before / 1000) * 1000 && ms <= after),
      userData: "u-9",
    };
    expect(ok(await driver.query({ mode: "AXB", x: X2, a }))).toEqual({ bindings: [expected], total: 1 });
    expect(ok(await driver.query({ mode: "AXB", x: X2, a, b }))).toEqual({ bindings: [expected], total: 1 });
    expect(ok(await driver.query({ mode: "AXB", subscriptionId: bound.subscriptionId }))).toEqual({
      bindings: [expected],
      total: 1,
    });
  });

  it("queries all bindings on an X with the platform's total", async () => {
    const driver = driverFor(sim);
    const all = ok(await driver.query({ mode: "AXB", x: X3 }));
    const held = sim.bindings(AXB_APP.appKey).filter((b) => b.x === X3);
    expect(all.total).toBe(held.length);
    expect(all.bindings.map((b) => b.subscriptionId).sort()).toEqual(
      held.map((b) => b.subscriptionId).sort(),
    );
  });

  it("answers an empty query as ok with no bindings", async () => {
    const driver = driverFor(sim);
    expect(ok(await driver.query({ mode: "AXB", x: X1, a: fresh() }))).toEqual({ bindings: [], total: 0 });
    expect(ok(await driver.query({ mode: "AXB", subscriptionId: "no-such-id" }))).toEqual({
      bindings: [],
      total: 0,
    });
  });

  it("modifies the lifetime and the B of a binding", async () => {
    const driver = driverFor(sim);
    const a = fresh();
    const b2 = fresh();
    const bound = ok(await driver.bind({ mode: "AXB", x: X1, a, b: fresh(), durationSeconds: 60 }));
    ok(
      await driver.modify({
        mode: "AXB",
        subscriptionId: bound.subscriptionId,
        b: b2,
        durationSeconds: 1200,
      }),
    );
    expect(sim.bindings(AXB_APP.appKey)).toContainEqual(
      expect.objectContaining({ subscriptionId: bound.subscriptionId, a, b: b2, durationSeconds: 1200 }),
    );
  });

  it("answers conflict when a modify moves B onto a user already bound on that X", async () => {
    const driver = driverFor(sim);
    const taken = fresh();
    ok(await driver.bind({ mode: "AXB", x: X2, a: taken, b: fresh(), durationSeconds: 60 }));
    const bound = ok(await driver.bind({ mode: "AXB", x: X2, a: fresh(), b: fresh(), durationSeconds: 60 }));
    const outcome = await driver.modify({ mode: "AXB", subscriptionId: bound.subscriptionId, b: taken });
    expect(outcome).toMatchObject({ kind: "conflict", code: "1012010" });
  });

  it("works with the legacy WSSE scheme", async () => {
    const driver = driverFor(sim, { auth: "wsse" });
    const bound = ok(await driver.bind({ mode: "AXB", x: X3, a: fresh(), b: fresh(), durationSeconds: 60 }));
    ok(await driver.unbind({ mode: "AXB", subscriptionId: bound.subscriptionId }));
  });
});

describe("what goes over the wire", () => {
  // Records each request, then sends it on to the simulator with the real fetch.
  function recording(): { fetch: typeof fetch; sent: { method: string; url: URL; headers: Headers }[] } {
    const sent: { method: string; url: URL; headers: Headers }[] = [];
    return {
      sent,
      fetch: (input, init) => {
        sent.push({
          method: init?.method ?? "GET",
          url: new URL(String(input)),
          headers: new Headers(init?.headers),
        });
        return fetch(input, init);
      },
    };
  }

  it("sends JSON content type, a 32-hex nonce, a UTC Created, %2B-escaped numbers, and unbinds by subscriptionId only", async () => {
    const wire = recording();
    const driver = driverFor(sim, { fetch: wire.fetch });
    const a = fresh();
    const bound = ok(await driver.bind({ mode: "AXB", x: X1, a, b: fresh(), durationSeconds: 60 }));
    ok(await driver.query({ mode: "AXB", x: X1, a }));
    ok(await driver.unbind({ mode: "AXB", subscriptionId: bound.subscriptionId }));
    expect(wire.sent.map((r) => r.method)).toEqual(["POST", "GET", "DELETE"]);
    for (const { headers } of wire.sent) {
      expect(headers.get("content-type")).toBe("application/json;charset=UTF-8");
      expect(headers.get("authorization")).toBe('AKSK realm="SDP",profile="UsernameToken",type="Appkey"');
      const token = headers.get("x-aksk") ?? "";
      expect(token).toMatch(/Nonce="[0-9a-f]{32}"/);
      expect(token).toMatch(/Created="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"/);
    }
    const [, query, unbind] = wire.sent;
    expect(query?.url.search).toContain(`relationNum=${X1.replace("+", "%2B")}`);
    expect(query?.url.search).toContain(`callerNum=${a.replace("+", "%2B")}`);
    expect([...(unbind?.url.searchParams.keys() ?? [])]).toEqual(["subscriptionId"]);
  });
});

describe("AX against the simulator", () => {
  const ax = (): HuaweiDriver => driverFor(sim, AX_APP);

  it("binds A to X, queries it, unbinds it", async () => {
    const driver = ax();
    const a = fresh();
    const x = AX_X[0]!;
    const bound = ok(await driver.bind({ mode: "AX", x, a, durationSeconds: 0, userData: "ax-1" }));
    expect(bound.x).toBe(x);
    const expected = { subscriptionId: bound.subscriptionId, x, a, userData: "ax-1" };
    expect(ok(await driver.query({ mode: "AX", x }))).toMatchObject({ bindings: [expected], total: 1 });
    expect(ok(await driver.query({ mode: "AX", x, a }))).toMatchObject({ bindings: [expected], total: 1 });
    expect(ok(await driver.query({ mode: "AX", x, a: fresh() }))).toEqual({ bindings: [], total: 0 });
    expect(
      ok(await driver.query({ mode: "AX", subscriptionId: bound.subscriptionId })).bindings,
    ).toHaveLength(1);
    ok(await driver.unbind({ mode: "AX", subscriptionId: bound.subscriptionId }));
    expect(ok(await driver.query({ mode: "AX", x }))).toEqual({ bindings: [], total: 0 });
    expect((await driver.unbind({ mode: "AX", subscriptionId: bound.subscriptionId })).kind).toBe("notFound");
  });

  it("answers conflict when the X already belongs to another A", async () => {
    const driver = ax();
    const x = AX_X[1]!;
    const first = ok(await driver.bind({ mode: "AX", x, a: fresh(), durationSeconds: 0 }));
    try {
      expect(await driver.bind({ mode: "AX", x, a: fresh(), durationSeconds: 0 })).toMatchObject({
        kind: "conflict",
        code: "1011005",
      });
    } finally {
      ok(await driver.unbind({ mode: "AX", subscriptionId: first.subscriptionId }));
    }
  });

  it("moves an AX binding to another A", async () => {
    const driver = ax();
    const x = AX_X[2]!;
    const a2 = fresh();
    const bound = ok(await driver.bind({ mode: "AX", x, a: fresh(), durationSeconds: 0 }));
    ok(await driver.modify({ mode: "AX", subscriptionId: bound.subscriptionId, a: a2 }));
    expect(ok(await driver.query({ mode: "AX", x })).bindings.map((b) => b.a)).toEqual([a2]);
    ok(await driver.unbind({ mode: "AX", subscriptionId: bound.subscriptionId }));
  });

  it("answers userLimit when an A asks for a sixth X", async () => {
    const driver = ax();
    const a = fresh();
    const ids: string[] = [];
    for (const x of AX_X.slice(0, 5))
      ids.push(ok(await driver.bind({ mode: "AX", x, a, durationSeconds: 0 })).subscriptionId);
    expect(await driver.bind({ mode: "AX", x: AX_X[5]!, a, durationSeconds: 0 })).toMatchObject({
      kind: "userLimit",
      code: "1011003",
    });
    for (const subscriptionId of ids) ok(await driver.unbind({ mode: "AX", subscriptionId }));
  });
});

describe("faults", () => {
  it("answers timeout when the platform does not answer within timeoutMs", async () => {
    sim.faults.set({ timeoutRate: 1, hangMs: 2_000, timeoutTakesEffect: false });
    const driver = driverFor(sim, { timeoutMs: 150 });
    const outcome = await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 });
    expect(outcome).toMatchObject({ kind: "timeout", code: "TIMEOUT" });
    expect(driver.stats()).toMatchObject({ requests: 1, byKind: { timeout: 1 }, byCode: { TIMEOUT: 1 } });
  });

  it("answers timeout on a hung query too (the answer never completes)", async () => {
    sim.faults.set({ timeoutRate: 1 });
    const outcome = await driverFor(sim, { timeoutMs: 100 }).query({ mode: "AXB", x: X1 });
    expect(outcome.kind).toBe("timeout");
  });

  it("answers transient on a platform 5xx", async () => {
    sim.faults.set({ serverErrorRate: 1 });
    const outcome = await driverFor(sim).bind({
      mode: "AXB",
      x: X1,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(outcome).toMatchObject({ kind: "transient", code: "1010001" });
  });

  it("answers rateLimited on platform flow control", async () => {
    sim.faults.set({ flowControlRate: 1 });
    const outcome = await driverFor(sim).bind({
      mode: "AXB",
      x: X1,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(outcome).toMatchObject({ kind: "rateLimited", code: "1010010" });
  });

  it("answers transient when the connection is refused", async () => {
    const port = await closedPort();
    const driver = new HuaweiDriver({ baseUrl: `http://127.0.0.1:${port}`, ...AXB_APP });
    const outcome = await driver.query({ mode: "AXB", x: X1 });
    expect(outcome).toMatchObject({ kind: "transient", code: "ECONNREFUSED" });
  });

  it("answers transient when the server resets the connection", async () => {
    // Reads the request, then answers with a TCP RST.
    const server = createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const driver = new HuaweiDriver({ baseUrl: `http://127.0.0.1:${port}`, ...AXB_APP });
      const outcome = await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 });
      expect(outcome).toMatchObject({ kind: "transient", code: "ECONNRESET" });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("rate limits", () => {
  it("keeps the requests per second of one app key under requestsPerSecond", async () => {
    const local = await startPlatform();
    try {
      const driver = driverFor(local, { requestsPerSecond: 8 });
      // Start just after a wall-clock second begins: the simulator counts arrivals per calendar second,
      // so each paced burst then lands in its own second whatever the event loop's delays.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
      const outcomes = await Promise.all(
        Array.from({ length: 24 }, () => driver.query({ mode: "AXB", x: X1, a: fresh() })),
      );
      expect(outcomes.every((o) => o.kind === "ok")).toBe(true);
      const stats = local.stats();
      expect(stats.requests).toBe(24);
      expect(stats.maxPerSecond[AXB_APP.appKey]).toBeGreaterThan(0);
      expect(stats.maxPerSecond[AXB_APP.appKey]).toBeLessThanOrEqual(8);
    } finally {
      await local.close();
    }
  });

  it("never has more than `concurrency` requests in flight", async () => {
    const local = await startPlatform({ faults: { latencyMs: 50 } });
    try {
      let inFlight = 0;
      let most = 0;
      const counting: typeof fetch = async (input, init) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          return await fetch(input, init);
        } finally {
          inFlight -= 1;
        }
      };
      const driver = driverFor(local, { concurrency: 3, fetch: counting });
      await Promise.all(Array.from({ length: 12 }, () => driver.query({ mode: "AXB", x: X1 })));
      expect(most).toBe(3);
      expect(local.stats().requests).toBe(12);
    } finally {
      await local.close();
    }
  });

  it("awaits the shared limiter before every request", async () => {
    let taken = 0;
    const limiter: RateLimiter = {
      take: async () => {
        taken += 1;
      },
    };
    const before = sim.stats().requests;
    const driver = driverFor(sim, { limiter });
    await driver.query({ mode: "AXB", x: X1 });
    await driver.bind({ mode: "AXB", x: X1, a: fresh(), b: fresh(), durationSeconds: 60 });
    expect(taken).toBe(2);
    expect(sim.stats().requests - before).toBe(2);
  });
});

/** A local TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
