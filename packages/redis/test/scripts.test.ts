import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateLimiter, RedisStore } from "../src/index.js";
import {
  assembleLibrary,
  contentVersion,
  hashHint,
  LIBRARY_NAME_PLACEHOLDER,
  libraryName,
  PRELUDE,
  poolLibrary,
  scriptSource,
} from "../src/scripts.js";
import { type RedisServer, startRedis } from "./harness.js";

const onDisk = (file: string) => readFileSync(new URL(`../src/scripts/${file}`, import.meta.url), "utf8");

/** Every file the library is assembled from. */
function libraryFiles(): string[] {
  const files: string[] = [];
  assembleLibrary((file) => {
    files.push(file);
    return onDisk(file);
  });
  return files;
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe("the Redis Functions library's name", () => {
  it("changes when any script's text changes", () => {
    const files = libraryFiles();
    for (const include of PRELUDE) expect(files).toContain(include);
    expect(files).toContain("reserve-7.lua");
    const current = libraryName(assembleLibrary(onDisk));
    const names = new Set([current]);
    for (const changed of files) {
      // Any change counts, even one character.
      const name = libraryName(assembleLibrary((f) => (f === changed ? `${onDisk(f)} ` : onDisk(f))));
      expect(name, `a change to ${changed}`).not.toBe(current);
      names.add(name);
    }
    expect(names.size).toBe(files.length + 1);
  });

  it("is the hash of exactly the source the server loaded", async () => {
    const redis = server.client();
    await new RedisStore({ redis, prefix: "v" }).poolGeneration("p"); // loads the library
    const listed = (await redis.call("FUNCTION", "LIST", "WITHCODE")) as unknown[][];
    const libraries = listed.map((entry) => {
      const fields = new Map<string, unknown>();
      for (let i = 0; i < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
      return { name: String(fields.get("library_name")), code: String(fields.get("library_code")) };
    });
    expect(libraries.map((l) => l.name)).toEqual([poolLibrary().name]);
    const [loaded] = libraries;
    expect(loaded!.code).toBe(poolLibrary().source);
    expect(libraryName(loaded!.code.replaceAll(loaded!.name, LIBRARY_NAME_PLACEHOLDER))).toBe(loaded!.name);
    expect(loaded!.name).toBe(`bindpool_${contentVersion(assembleLibrary(onDisk))}`);
  });

  it("builds every key name in includes/keys.lua only (the mirror of keys.ts)", () => {
    for (const file of libraryFiles().filter((f) => f !== "includes/keys.lua")) {
      const lua = onDisk(file);
      expect(lua, file).not.toMatch(/\bP\s*\.\./);
      expect(lua, file).not.toMatch(/"(e|s|x|u|ic|ip|xe):"/);
    }
  });

  it("names plain scripts after their content too", () => {
    const redis = server.client();
    new RedisRateLimiter({ redis, key: "rl", requestsPerSecond: 10 });
    const name = `bindpool:takePermit:${contentVersion(scriptSource("takePermit-1"))}`;
    expect(typeof (redis as unknown as Record<string, unknown>)[name]).toBe("function");
  });

  it("gives the same hash for any string as the Lua side computes from the bytes it receives", async () => {
    // A hint that differs from hashOf would file an entry in a bucket where no unhinted call looks.
    const hashOf = /h = (tonumber\(string\.sub\(redis\.sha1hex\(s\), 1, 8\), 16\))/.exec(
      onDisk("includes/hashing.lua"),
    )?.[1];
    expect(hashOf, "hashOf in includes/hashing.lua changed: change hashHint with it").toBeDefined();
    const redis = server.client();
    try {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "binary", maxLength: 40 }), async (s) => {
          const lua = Number(await redis.eval(`local s = ARGV[1] return ${hashOf}`, 0, s));
          expect(Number.parseInt(hashHint(s), 16)).toBe(lua);
        }),
        { numRuns: 300 },
      );
    } finally {
      redis.disconnect();
    }
  });
});
