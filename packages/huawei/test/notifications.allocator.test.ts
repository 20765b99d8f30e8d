import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Allocator, MemoryStore } from "@bindpool/core";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { createNotificationHandler, HuaweiDriver, notificationsToAllocator } from "../src/index.js";

const app = { appKey: "bridge-key", appSecret: "bridge-secret" };
const numbers = [{ x: "+8617100000001" }, { x: "+8617100000002" }];
const user = (i: number) => `+86138${String(i).padStart(8, "0")}`;

let sim: Simulator | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await sim?.close();
  server?.closeAllConnections();
  server?.close();
});

async function setup(completeOnDisconnect: boolean) {
  const store = new MemoryStore();
  let bridge: ReturnType<typeof notificationsToAllocator> = async () => {};
  const handler = createNotificationHandler({
    ...app,
    onEvent: (event) => bridge(event),
  });
  server = http.createServer((req, res) => void handler.node(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const platform = await startSimulator({
    apps: [{ ...app, mode: "AXB", numbers }],
    push: { url: `${url}/callstatus`, timeScale: 0.001 },
  });
  sim = platform;
  const driver = new HuaweiDriver({ baseUrl: platform.url, ...app });
  const allocator = new Allocator({ store, driver, pools: [{ id: "rides", mode: "AXB", numbers }] });
  await allocator.init();
  bridge = notificationsToAllocator(allocator, { completeOnDisconnect });
  return { store, allocator, platform };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await check()).toBe(true);
}

describe("notifications applied to an allocator", () => {
  it("quarantines an X on a status push and puts it back on 'normal'", async () => {
    const { store, platform: sim } = await setup(false);
    const state = async () => (await store.numbers("rides")).find((n) => n.x === numbers[0]!.x)?.state;
    sim.setNumberStatus(app.appKey, numbers[0]!.x, "abnormal");
    await until(async () => (await state()) === "quarantined");
    sim.setNumberStatus(app.appKey, numbers[0]!.x, "normal");
    await until(async () => (await state()) === "active");
  });

  it("completes the order of a disconnected call when asked to, and only then", async () => {
    for (const completeOnDisconnect of [false, true]) {
      const { allocator, store, platform } = await setup(completeOnDisconnect);
      const binding = await allocator.allocate({
        pool: "rides",
        orderKey: "o1",
        a: user(1),
        b: user(2),
        ttlSeconds: 600,
      });
      await platform.simulateCall(app.appKey, {
        subscriptionId: binding.subscriptionId,
        from: "a",
        durationSeconds: 30,
      });
      await platform.pushesIdle();
      const left = await store.get("rides", "o1");
      if (completeOnDisconnect) {
        expect(left).toBeUndefined();
        expect(platform.bindings(app.appKey)).toEqual([]);
      } else {
        expect(left?.status).toBe("bound");
      }
      await platform.close();
      sim = undefined;
      server?.closeAllConnections();
      server?.close();
    }
  });
});
