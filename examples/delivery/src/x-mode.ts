/**
 * X mode (`pnpm demo:x-mode`): the platform keeps no bindings; for each call to X it asks the app where to
 * connect (Block `callin`). bindpool allocates each order's X in its store with no platform call
 * (`XModeDriver`), and its router answers every callin from the store: the rider on X reaches the
 * driver and back; anyone else, or a completed order, is closed with a tone. Runs against the simulator
 * over HTTP and exits 1 if a call was routed wrongly.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Allocator, MemoryStore } from "@bindpool/core";
import { createXModeRouter, XModeDriver } from "@bindpool/huawei";
import { startSimulator } from "@bindpool/simulator";

const app = { appKey: "x-demo", appSecret: "x-demo-secret" };
const numbers = Array.from({ length: 5 }, (_, i) => ({ x: `+86172000000${String(i).padStart(2, "0")}` }));
const rider = (i: number) => `+86138${String(i).padStart(8, "0")}`;
const driver = (i: number) => `+86139${String(i).padStart(8, "0")}`;
const ORDERS = 40;

const store = new MemoryStore();
const allocator = new Allocator({
  store,
  driver: new XModeDriver(),
  pools: [{ id: "rides", mode: "AXB", numbers }],
});
const router = createXModeRouter({ ...app, allocator, store, closeTone: "no-order.wav" });
const server = http.createServer((req, res) => void router.node(req, res));
server.listen(0, "127.0.0.1");
await once(server, "listening");
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callstatus`;
const sim = await startSimulator({
  apps: [{ ...app, mode: "X", numbers }],
  push: { url, timeScale: 0.001 },
});

let routed = 0;
let wrong = 0;
const expect = (what: string, ok: boolean) => {
  if (ok) routed++;
  else {
    wrong++;
    console.log(`  wrong: ${what}`);
  }
};
try {
  const bindings = [];
  for (let i = 0; i < ORDERS; i++) {
    bindings.push(
      await allocator.allocate({
        pool: "rides",
        orderKey: `ride-${i}`,
        a: rider(i),
        b: driver(i),
        ttlSeconds: 900,
      }),
    );
  }
  console.log(`${ORDERS} orders on ${numbers.length} X; platform requests for them: ${sim.stats().requests}`);
  for (const [i, b] of bindings.entries()) {
    const fromRider = await sim.simulateXCall(app.appKey, { x: b.x, caller: rider(i) });
    expect(`rider ${i} -> ${fromRider.called}`, fromRider.called === driver(i));
    const fromDriver = await sim.simulateXCall(app.appKey, { x: b.x, caller: driver(i) });
    expect(`driver ${i} -> ${fromDriver.called}`, fromDriver.called === rider(i));
  }
  const stranger = await sim.simulateXCall(app.appKey, { x: bindings[0]!.x, caller: "+8613700000000" });
  expect("a stranger is closed", stranger.outcome === "closed");
  await allocator.complete("ride-0");
  const after = await sim.simulateXCall(app.appKey, { x: bindings[0]!.x, caller: rider(0) });
  expect("a completed ride's rider is closed", after.outcome === "closed");
  await sim.pushesIdle();
  console.log(`calls routed as the store says: ${routed}; wrong: ${wrong}`);
} finally {
  await sim.close();
  router.close();
  server.closeAllConnections();
  server.close();
}
process.exitCode = wrong === 0 ? 0 : 1;
