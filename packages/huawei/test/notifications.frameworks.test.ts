/**
 * The documented ways to receive pushes, each on a real server of its framework, fed by the simulator
 * (a whole call: call events and its CDR) and by a signed request sent twice (the replay is refused).
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { createNotificationHandler, type NotificationEvent, type NotificationHandler } from "../src/index.js";
import { expressNotifications } from "../src/notifications/adapters/express.js";
import { fastifyNotifications } from "../src/notifications/adapters/fastify.js";
import { AXB_APP, AXB_X, driverFor, pushHeaders, user } from "./harness.js";

const PATH = "/huawei/notify";

/** A running receiver: its base URL and how to stop it. */
interface Receiver {
  readonly url: string;
  close(): Promise<void>;
}

let sim: Simulator | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = undefined;
  receiver = undefined;
});

async function listening(server: http.Server): Promise<Receiver> {
  if (!server.listening) await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Each framework, with another JSON route beside the pushes to show the app's own parsing still works. */
const FRAMEWORKS: Record<string, (handler: NotificationHandler) => Promise<Receiver>> = {
  "node:http": async (handler) => {
    const server = http.createServer((req, res) => {
      if (req.url === PATH) return void handler.node(req, res);
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(Buffer.concat(chunks));
      });
    });
    server.listen(0, "127.0.0.1");
    return listening(server);
  },
  fastify: async (handler) => {
    const app = Fastify();
    app.post("/echo", async (request) => request.body);
    await app.register(fastifyNotifications(handler), { prefix: PATH });
    await app.listen({ port: 0, host: "127.0.0.1" });
    return listening(app.server);
  },
  "express, route before express.json()": async (handler) => {
    const app = express();
    app.post(PATH, expressNotifications(handler));
    app.use(express.json());
    app.post("/echo", (req, res) => void res.json(req.body));
    return listening(app.listen(0, "127.0.0.1"));
  },
  "express, express.raw() on the route": async (handler) => {
    const app = express();
    app.post(PATH, express.raw({ type: "*/*", limit: "1mb" }), expressNotifications(handler));
    app.use(express.json());
    app.post("/echo", (req, res) => void res.json(req.body));
    return listening(app.listen(0, "127.0.0.1"));
  },
  "hono (fetch form)": async (handler) => {
    const app = new Hono();
    app.post(PATH, (c) => handler.fetch(c.req.raw));
    app.post("/echo", async (c) => c.json(await c.req.json()));
    return listening(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as http.Server);
  },
};

function receive(start: (handler: NotificationHandler) => Promise<Receiver>) {
  const events: NotificationEvent[] = [];
  const handler = createNotificationHandler({ ...AXB_APP, onEvent: (e) => void events.push(e) });
  return { events, handler, start: async () => (receiver = await start(handler)) };
}

const signedBody = JSON.stringify({
  eventType: "numStatus",
  numInfo: [{ number: AXB_X[0], status: 9 }],
});

describe("receiving pushes in each framework", () => {
  for (const [name, start] of Object.entries(FRAMEWORKS)) {
    it(`${name}: takes a whole call from the simulator, and the app's JSON routes still parse`, async () => {
      const { events, handler, start: run } = receive(start);
      const { url } = await run();
      sim = await startSimulator({
        apps: [{ ...AXB_APP, mode: "AXB", numbers: AXB_X.map((x) => ({ x })) }],
        push: { url: `${url}${PATH}`, timeScale: 0.001 },
      });
      const bound = await driverFor(sim).bind({
        mode: "AXB",
        x: AXB_X[0],
        a: user(1),
        b: user(2),
        durationSeconds: 600,
      });
      if (bound.kind !== "ok") throw new Error(bound.message);
      await sim.simulateCall(AXB_APP.appKey, {
        subscriptionId: bound.value.subscriptionId,
        from: "a",
        durationSeconds: 30,
      });
      await sim.pushesIdle();
      expect(events.map((e) => (e.type === "call" ? e.event : e.type))).toEqual([
        "callin",
        "alerting",
        "answer",
        "disconnect",
        "fee",
      ]);
      expect(sim.pushStats()).toMatchObject({ delivered: 5, failedAttempts: 0, gaveUp: 0 });
      expect(handler.stats()).toMatchObject({ received: 5, delivered: 5, byCode: {} });

      const echo = await fetch(`${url}/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ok: 1 }),
      });
      expect(await echo.json()).toEqual({ ok: 1 });
    });

    it(`${name}: refuses a signed push sent twice, and a tampered signature, with the handler's codes`, async () => {
      const { events, start: run } = receive(start);
      const { url } = await run();
      const headers = pushHeaders(AXB_APP.appKey, AXB_APP.appSecret);
      const send = (h: Record<string, string>) =>
        fetch(`${url}${PATH}`, { method: "POST", headers: h, body: signedBody });
      const first = await send(headers);
      expect([first.status, await first.text()]).toEqual([200, ""]);
      const again = await send(headers);
      expect(again.status).toBe(401);
      expect(await again.json()).toMatchObject({ code: "BINDPOOL_NOTIFY_REPLAYED" });
      const forged = await send(pushHeaders(AXB_APP.appKey, "not-the-secret"));
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ code: "BINDPOOL_NOTIFY_BAD_SIGNATURE" });
      expect(events).toHaveLength(1);
    });
  }

  it("fastify: takes a push without a Content-Type", async () => {
    const { events, start } = receive(FRAMEWORKS.fastify!);
    const { url } = await start();
    const { "content-type": _, ...headers } = pushHeaders(AXB_APP.appKey, AXB_APP.appSecret);
    const response = await fetch(`${url}${PATH}`, {
      method: "POST",
      headers,
      body: new TextEncoder().encode(signedBody),
    });
    expect(response.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it("express: says what is wrong when express.json() took the body first", async () => {
    const handler = createNotificationHandler({ ...AXB_APP, onEvent: () => {} });
    const app = express();
    app.use(express.json());
    app.post(PATH, expressNotifications(handler));
    const errors: unknown[] = [];
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error);
      res.status(500).end();
    });
    receiver = await listening(app.listen(0, "127.0.0.1"));
    const response = await fetch(`${receiver.url}${PATH}`, {
      method: "POST",
      headers: pushHeaders(AXB_APP.appKey, AXB_APP.appSecret),
      body: signedBody,
    });
    expect(response.status).toBe(500);
    expect(errors[0]).toMatchObject({ code: "BINDPOOL_VALIDATION" });
    expect(String((errors[0] as Error).message)).toContain("express.raw");
  });
});

describe("what the entry points import", () => {
  /** Bare (package) specifiers reachable from `entry` through its relative imports. */
  function packagesImported(entry: string): Set<string> {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
        const [statement, specifier] = [m[0], m[1]!];
        if (/^\s*(?:import|export)\s+type\s/.test(statement)) continue; // erased at build
        if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
        else
          packages.add(
            specifier
              .split("/")
              .slice(0, specifier.startsWith("@") ? 2 : 1)
              .join("/"),
          );
      }
    };
    visit(fileURLToPath(new URL(entry, import.meta.url)));
    return packages;
  }

  it("keeps every web framework out of the main entry and the adapters", () => {
    expect([...packagesImported("../src/index.ts")]).toEqual(
      expect.arrayContaining(["@bindpool/core", "zod"]),
    );
    for (const entry of [
      "../src/index.ts",
      "../src/notifications/adapters/fastify.ts",
      "../src/notifications/adapters/express.ts",
    ]) {
      const imported = [...packagesImported(entry)];
      expect(imported.filter((p) => /fastify|express|hono/.test(p))).toEqual([]);
    }
  });
});
