import { readFileSync } from "node:fs";
import { PoolConfigSchema, PoolIdSchema } from "@bindpool/core";
import { z } from "zod";
import type { Secrets } from "./secrets.js";

/**
 * The operator's view of a deployment: the Redis the app instances share, optionally which of their
 * pools to work on (the CLI reads the pools from the store and never writes them), and, for the
 * commands that call the platform (`sweep`, `reconcile`, `callee`), the platform app.
 */
export const CliConfigSchema = z.strictObject({
  redis: z
    .strictObject({
      /** `redis://` or `rediss://` URL; the `REDIS_URL` environment variable overrides it. */
      url: z.string().min(1).optional(),
      /** A Redis Cluster instead: `redis://host:port` URLs of some of its nodes (credentials from the first). */
      cluster: z
        .array(z.url({ protocol: /^rediss?$/ }))
        .min(1)
        .optional(),
      /**
       * A Redis behind Sentinel instead: `redis://host:port` URLs of the Sentinels and the master's name
       * (credentials of the first URL are the master's).
       */
      sentinel: z
        .strictObject({
          nodes: z.array(z.url({ protocol: /^rediss?$/ })).min(1),
          name: z.string().min(1),
          /** The Sentinels' own password (`requirepass` of the Sentinels), when they ask for one. */
          password: z.string().min(1).optional(),
        })
        .optional(),
      /** Redis ACL user, when the URLs carry none. */
      username: z.string().min(1).optional(),
      /** Redis password, when the URLs carry none (never printed, like passwords in URLs). */
      password: z.string().min(1).optional(),
      /** The key prefix the app's RedisStore uses. @default "bp" */
      prefix: z.string().min(1).optional(),
      /** The prefix of the app's RedisLock, when it differs from `prefix`. @default prefix */
      lockPrefix: z.string().min(1).optional(),
    })
    .refine(
      (r) => [r.url, r.cluster, r.sentinel].filter((v) => v !== undefined).length <= 1,
      "set one of url, cluster and sentinel",
    )
    .default({}),
  /**
   * The pools to work on, by id or as the app's own pool config (then checked against the store: same
   * mode, and every X in the store's pool). @default every pool in the store
   */
  pools: z
    .array(z.union([PoolIdSchema, PoolConfigSchema]))
    .min(1)
    .optional(),
  platform: z
    .strictObject({
      baseUrl: z.url(),
      appKey: z.string().min(1),
      /** Name of the environment variable that holds the app secret (never put it in the file). */
      appSecretEnv: z.string().min(1).default("PN_APP_SECRET"),
      auth: z.enum(["aksk", "wsse"]).optional(),
      /** Requests per second this command may send; keep it well under what the app instances use. */
      requestsPerSecond: z.number().positive().default(20),
    })
    .optional(),
});

export type CliConfig = z.infer<typeof CliConfigSchema>;

/** Bad usage or a bad config file: the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Reads and checks a config file; every problem is named with its path in the file. The credentials in
 * it (also in a file that fails the checks) go to `secrets`, so no message shows them.
 */
export function loadConfig(file: string, secrets?: Secrets): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, which may be a password: only where it is goes out.
    const where = /position \d+( \(line \d+ column \d+\))?/.exec((error as Error).message);
    throw new UsageError(`Config file ${file} is not JSON${where ? ` (at ${where[0]})` : ""}.`);
  }
  secrets?.addConfig(json);
  const parsed = CliConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new UsageError(`Config file ${file} is not valid:\n${problems.join("\n")}`);
  }
  return parsed.data;
}
