import { RedisStore } from "@bindpool/redis";
import { freePort, type RedisServer, startRedis } from "@bindpool/redis/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, configFile, few } from "./harness.js";

// No form of a Redis credential the CLI is given appears in anything it prints: each case below carries
// its own secret and must fail (or run) without printing it, on stdout or stderr.

let redis: RedisServer;
/** A port nothing listens on. */
let closed: number;

beforeAll(async () => {
  redis = await startRedis();
  closed = await freePort();
  // A pool the app wrote, then the server starts asking for a password (clients connected before keep theirs).
  const client = redis.client();
  const { generation } = await new RedisStore({ redis: client, prefix: "auth" }).upsertPool("p", "AXB", [
    { x: "+8617000003001", capacity: 10 },
  ]);
  await new RedisStore({ redis: client, prefix: "auth" }).finishRecovery("p", generation);
  await client.call("CONFIG", "SET", "requirepass", "S3cr3t-field");
});
afterAll(async () => {
  await redis?.stop();
});

interface Case {
  readonly name: string;
  readonly secret: string;
  readonly config: unknown;
  readonly env?: Record<string, string>;
  readonly code: number;
}

const cases = (): Case[] => [
  {
    name: "an unparseable URL (no ':' after the scheme)",
    secret: "S3cr3t-bad",
    config: { redis: { url: `redis//:S3cr3t-bad@127.0.0.1:${closed}` } },
    code: 1,
  },
  {
    name: "a URL that neither ioredis nor URL can parse",
    secret: "S3cr3t-broken",
    config: { redis: { url: "redis://:S3cr3t-broken@[127.0.0.1" } },
    code: 2,
  },
  {
    name: "a URL with user and password",
    secret: "S3cr3t-url",
    config: { redis: { url: `redis://ops:S3cr3t-url@127.0.0.1:${closed}` } },
    code: 1,
  },
  {
    name: "a percent-encoded password (and its decoded form)",
    secret: "S3cr3t@enc",
    config: { redis: { url: `redis://:S3cr3t%40enc@127.0.0.1:${closed}` } },
    code: 1,
  },
  {
    name: "a password in the URL's query",
    secret: "S3cr3t-query",
    config: { redis: { url: `redis://127.0.0.1:${closed}/?password=S3cr3t-query` } },
    code: 1,
  },
  {
    name: "REDIS_URL, unparseable",
    secret: "S3cr3t-env",
    config: { redis: { url: "redis://127.0.0.1:1" } },
    env: { REDIS_URL: `redis//:S3cr3t-env@127.0.0.1:${closed}` },
    code: 1,
  },
  {
    name: "a Cluster node URL",
    secret: "S3cr3t-cluster",
    config: { redis: { cluster: [`redis://:S3cr3t-cluster@127.0.0.1:${closed}`] } },
    code: 1,
  },
  {
    name: "a Sentinel URL and the Sentinels' own password",
    secret: "S3cr3t-sentinel",
    config: {
      redis: {
        sentinel: {
          nodes: [`redis://:S3cr3t-sentinel@127.0.0.1:${closed}`],
          name: "m",
          password: "S3cr3t-sentinel",
        },
      },
    },
    code: 1,
  },
  {
    name: "redis.password, wrong for the server",
    secret: "S3cr3t-wrong",
    config: { redis: { url: redis.url, prefix: "auth", password: "S3cr3t-wrong" } },
    code: 1,
  },
  {
    name: "redis.password, right for the server",
    secret: "S3cr3t-field",
    config: { redis: { url: redis.url, prefix: "auth", password: "S3cr3t-field" } },
    code: 0,
  },
  {
    name: "a config file that fails its checks",
    secret: "S3cr3t-invalid",
    config: { redis: { url: "redis://:S3cr3t-invalid@127.0.0.1:1", bogus: 1 } },
    code: 2,
  },
  {
    name: "a config file that is not JSON",
    secret: "S3cr3t-json",
    config: '{ "redis": { "url": redis://:S3cr3t-json@127.0.0.1:1 } }',
    code: 2,
  },
];

describe("bindpool CLI redaction", { timeout: 180_000 }, () => {
  it("never prints a Redis password, in any form it was given", async () => {
    const all = cases();
    const results = await few(all, (c) => cli(["stats", "--config", configFile(c.config)], c.env));
    results.forEach((out, i) => {
      const c = all[i]!;
      const printed = out.stdout + out.stderr;
      expect({ name: c.name, code: out.code }).toEqual({ name: c.name, code: c.code });
      expect({ name: c.name, leaked: printed.includes(c.secret) }).toEqual({ name: c.name, leaked: false });
      expect({ name: c.name, leaked: printed.includes(encodeURIComponent(c.secret)) }).toEqual({
        name: c.name,
        leaked: false,
      });
    });
    // Messages still say where: the redacted URL, not nothing.
    expect(results[0]!.stderr).toContain("Cannot reach Redis at redis//:***@127.0.0.1");
    expect(results[2]!.stderr).toContain(`redis://ops:***@127.0.0.1:${closed}`);
    expect(results[9]!.stdout).toContain("pool p (AXB): 1 numbers");
  });
});
