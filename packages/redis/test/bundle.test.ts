import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedis } from "./harness.js";

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe("a bundled app", () => {
  it("reserves and releases from one esbuild file run where no file of the package is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bindpool-bundle-"));
    try {
      const outfile = join(dir, "app.mjs");
      await build({
        entryPoints: [fileURLToPath(new URL("./fixtures/bundle-app.ts", import.meta.url))],
        outfile,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        conditions: ["@bindpool/source"],
        // ioredis is CommonJS and requires Node's built-ins; an ESM bundle needs a `require` for it.
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
        logLevel: "silent",
      });
      expect(readdirSync(dir)).toEqual(["app.mjs"]);
      const { stdout } = await promisify(execFile)(process.execPath, [outfile, server.url], {
        cwd: dir,
        timeout: 20_000,
      });
      expect(JSON.parse(stdout)).toEqual({ x: "+8619900000001", released: "released" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
