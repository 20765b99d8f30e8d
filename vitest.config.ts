import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The Redis package imports its Lua from a generated module (not in git): write it before any test loads.
execFileSync(
  process.execPath,
  [fileURLToPath(new URL("./packages/redis/scripts/inline-lua.mjs", import.meta.url))],
  {
    stdio: "inherit",
  },
);

export default defineConfig({
  resolve: { conditions: ["@bindpool/source"] },
  ssr: { resolve: { conditions: ["@bindpool/source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
