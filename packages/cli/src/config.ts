import { readFileSync } from "node:fs";
import { PoolConfigSchema } from "@bindpool/core";
import { z } from "zod";

/**
 * The operator's view of a deployment: the Redis the app instances share, their pools (the app's own
 * pool config: the CLI takes ids, modes, numbers and cities from it and never writes it to the store),
 * and, for `sweep` and `reconcile`, the platform app.
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
        .strictObject({ nodes: z.array(z.url({ protocol: /^rediss?$/ })).min(1), name: z.string().min(1) })
        .optional(),
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
  pools: z.array(PoolConfigSchema).min(1),
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

/** Reads and checks a config file; every problem is named with its path in the file. */
export function loadConfig(file: string): CliConfig {
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
    throw new UsageError(`Config file ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = CliConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new UsageError(`Config file ${file} is not valid:\n${problems.join("\n")}`);
  }
  return parsed.data;
}
