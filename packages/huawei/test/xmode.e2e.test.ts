import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Allocator, MemoryStore, type Store } from "@bindpool/core";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  createXModeRouter,
  type NotificationEvent,
  XModeDriver,
  type XModeRouter,
  type XModeRouterOptions,
} from "../src/index.js";
import { user } from "./harness.js";

// The X-mode router in a real node:http server, asked by the simulator's Block callin, answering from a
// real allocator on a MemoryStore whose driver makes no platform call.

const app = { appKey: "x-key", appSecret: "x-secret" };
const XS = ["+8617200000001", "+8617200000002"];
const POOL = "x-pool";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function allocatorOn(store: Store): Allocator {
  return new Allocator({
    store,
    driver: new XModeDriver(),
    pools: [{ id: POOL, mode: "AXB", numbers: XS.map((x) => ({ x })) }],
  });
}

async function serve(router: XModeRouter): Promise<string> {
  const server = http.createServer((req, res) => void router.node(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(async () => {
    router.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setup(extra: Partial<XModeRouterOptions> = {}) {
  const store = new MemoryStore();
  const allocator = allocatorOn(store);
  const events: NotificationEvent[] = [];
  const router = createXModeRouter({
    ...app,
    allocator,
    store,
    onEvent: (e) => void events.push(e),
    ...extra,
  });
  const url = await serve(router);
  const sim = await startSimulator({
    apps: [{ ...app, mode: "X", numbers: XS.map((x) => ({ x })) }],
    push: { url: `${url}/callstatus`, timeScale: 0.001 },
  });
  closers.push(() => sim.close());
  return { store, allocator, router, sim, events };
}

const call = (sim: Simulator, x: string, caller: string) => sim.simulateXCall(app.appKey, { x, caller });

describe("X mode: bindpool routes the calls", () => {
  it("gives an order a working number without any platform call, and routes A to B and back", async () => {
    const { allocator, sim, events } = await setup();
    const binding = await allocator.allocate({
      pool: POOL,
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 600,
    });
    expect(sim.stats().requests).toBe(0);

    const fromA = await call(sim, binding.x, user(1));
    expect(fromA).toMatchObject({ outcome: "connected", called: user(2) });
    expect(fromA.answer).toMatchObject({
      operation: "connect",
      calleeNum: user(2),
      displayCalleeNum: binding.x,
    });
    const fromB = await call(sim, binding.x, user(2));
    expect(fromB).toMatchObject({ outcome: "connected", called: user(1) });

    // The rest of each call reaches onEvent (Notify mode); the callin does not.
    await sim.pushesIdle();
    const seen = events.map((e) => (e.type === "call" ? e.event : e.type));
    expect(seen.filter((e) => e === "disconnect")).toHaveLength(2);
    expect(seen).not.toContain("callin");
  });

  it("closes a call from a number no order holds on that X", async () => {
    const { allocator, sim, router } = await setup({ closeTone: "no-order.wav" });
    const binding = await allocator.allocate({
      pool: POOL,
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 600,
    });
    const stranger = await call(sim, binding.x, user(9));
    expect(stranger).toMatchObject({
      outcome: "closed",
      answer: { operation: "close", closeHintTone: "no-order.wav" },
    });
    // A of the order, but on the other X: not a pair there.
    const otherX = XS.find((x) => x !== binding.x)!;
    expect((await call(sim, otherX, user(1))).outcome).toBe("closed");
    expect(router.stats().closed).toEqual({ unknownCaller: 2 });
  });

  it("closes the pair's calls once the order is completed", async () => {
    const { allocator, sim } = await setup();
    const binding = await allocator.allocate({
      pool: POOL,
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 600,
    });
    expect((await call(sim, binding.x, user(1))).outcome).toBe("connected");
    expect(await allocator.complete("o1", POOL)).toEqual({ status: "released" });
    expect((await call(sim, binding.x, user(1))).outcome).toBe("closed");
    expect((await call(sim, binding.x, user(2))).outcome).toBe("closed");
    expect(sim.stats().requests).toBe(0);
  });

  it("routes to the new B after a reassign, and the old B no more", async () => {
    const { allocator, sim } = await setup();
    const binding = await allocator.allocate({
      pool: POOL,
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 600,
    });
    const moved = await allocator.reassign("o1", { b: user(3) }, POOL);
    expect(moved.x).toBe(binding.x);
    expect(await call(sim, binding.x, user(1))).toMatchObject({ outcome: "connected", called: user(3) });
    expect(await call(sim, binding.x, user(3))).toMatchObject({ outcome: "connected", called: user(1) });
    expect((await call(sim, binding.x, user(2))).outcome).toBe("closed");
  });

  it("answers right on an instance that did not allocate or complete the order", async () => {
    const { store, sim } = await setup();
    // The simulator asks the router of instance 1; instance 2 shares its store and does the allocating.
    const other = allocatorOn(store);
    const binding = await other.allocate({
      pool: POOL,
      orderKey: "o2",
      a: user(4),
      b: user(5),
      ttlSeconds: 600,
    });
    expect(await call(sim, binding.x, user(5))).toMatchObject({ outcome: "connected", called: user(4) });
    await other.complete("o2", POOL);
    expect((await call(sim, binding.x, user(4))).outcome).toBe("closed");
    // The pair comes back with a new order on the same X, made elsewhere again.
    const again = await other.allocate({
      pool: POOL,
      orderKey: "o3",
      a: user(4),
      b: user(6),
      ttlSeconds: 600,
      preferX: binding.x,
    });
    expect(again.x).toBe(binding.x);
    expect(await call(sim, binding.x, user(4))).toMatchObject({ outcome: "connected", called: user(6) });
  });

  it("renders the answer with a user-supplied schema", async () => {
    const { allocator, sim } = await setup({
      answerBody: (d) =>
        d.operation === "connect"
          ? { operation: "connect", connectInfo: [{ calleeNum: d.callee, maxDuration: 1 }] }
          : { operation: "close" },
    });
    const binding = await allocator.allocate({
      pool: POOL,
      orderKey: "o1",
      a: user(1),
      b: user(2),
      ttlSeconds: 600,
    });
    const connected = await sim.simulateXCall(app.appKey, {
      x: binding.x,
      caller: user(1),
      durationSeconds: 600,
    });
    expect(connected.answer).toEqual({ operation: "connect", calleeNum: user(2), maxDuration: 1 });
  });
});
