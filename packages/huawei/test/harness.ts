import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Simulator, type SimulatorOptions, startSimulator } from "@bindpool/simulator";
import { HuaweiDriver, type HuaweiDriverOptions } from "../src/index.js";

export const AXB_APP = { appKey: "axb-key", appSecret: "axb-secret" } as const;
export const AX_APP = { appKey: "ax-key", appSecret: "ax-secret" } as const;
export const AXE_APP = { appKey: "axe-key", appSecret: "axe-secret" } as const;

/** X numbers of the AXB app; the last one carries a single pair. */
export const AXB_X = ["+8617000000001", "+8617000000002", "+8617000000003"] as const;
export const AXB_SMALL_X = "+8617000000009";
/** Six X numbers of the AX app, one more than an A may hold. */
export const AX_X = [1, 2, 3, 4, 5, 6].map((i) => `+861710000000${i}`);
/** X numbers of the AXE app: two of 4-digit extensions (capacity 300), one of 1 digit holding one A. */
export const AXE_X = ["+8617200000001", "+8617200000002"] as const;
export const AXE_SMALL_X = "+8617200000009";

/** Distinct user (A/B) numbers: `user(1)` = +8613800000001. */
export function user(n: number): string {
  return `+86138${String(n).padStart(8, "0")}`;
}

/** A simulator with one AXB app, one AX app and one AXE app. */
export function startPlatform(extra: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return startSimulator({
    apps: [
      {
        ...AXB_APP,
        mode: "AXB",
        numbers: [
          ...AXB_X.map((x) => ({ x, city: "0755", province: "GD" })),
          { x: AXB_SMALL_X, city: "0755", province: "GD", capacity: 1 },
        ],
      },
      { ...AX_APP, mode: "AX", numbers: AX_X.map((x) => ({ x, city: "0755", province: "GD" })) },
      {
        ...AXE_APP,
        mode: "AXE",
        numbers: [
          ...AXE_X.map((x) => ({ x, city: "0755", province: "GD", capacity: 300 })),
          { x: AXE_SMALL_X, extensionDigits: 1, capacity: 1 },
        ],
      },
    ],
    ...extra,
  });
}

/** A driver for the AXB app (or another app via `options`) of a running simulator. */
export function driverFor(sim: Simulator, options: Partial<HuaweiDriverOptions> = {}): HuaweiDriver {
  return new HuaweiDriver({ baseUrl: sim.url, ...AXB_APP, ...options });
}

/** Push auth headers built from the doc formulas (§2.2), independent of the driver's signing code. */
export function pushHeaders(
  appKey: string,
  appSecret: string,
  opts: { scheme?: "AKSK" | "WSSE"; nonce?: string; createdMs?: number } = {},
): Record<string, string> {
  const scheme = opts.scheme ?? "AKSK";
  const nonce = opts.nonce ?? randomBytes(16).toString("hex");
  const created = `${new Date(opts.createdMs ?? Date.now()).toISOString().slice(0, 19)}Z`;
  const digest =
    scheme === "AKSK"
      ? createHmac("sha256", appSecret)
          .update(nonce + created)
          .digest("base64")
      : createHash("sha256")
          .update(nonce + created + appSecret)
          .digest("base64");
  return {
    "content-type": "application/json;charset=UTF-8",
    authorization: `${scheme} realm="SDP",profile="UsernameToken",type="Appkey"`,
    [`x-${scheme.toLowerCase()}`]: `UsernameToken Username="${appKey}", PasswordDigest="${digest}", Nonce="${nonce}", Created="${created}"`,
  };
}

/**
 * A stand-in for the app's push receiver: answers every push 200 and forgets it. Resolves with its URL
 * and a `close` for the test's cleanup.
 */
export async function pushReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => req.resume().on("end", () => res.end()));
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
