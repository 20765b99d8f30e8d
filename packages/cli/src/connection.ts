import { Cluster, Redis } from "ioredis";
import { type CliConfig, UsageError } from "./config.js";
import { type Secrets, shownUrl } from "./secrets.js";

/** The CLI makes and closes its own connection, so it holds the whole ioredis client. */
export type RedisClient = Redis | Cluster;

/**
 * A client for the configured Redis (standalone, Cluster or Sentinel) that fails fast instead of
 * reconnecting, and how messages name it (no password). Every credential goes to `secrets` first.
 */
export function connection(
  config: CliConfig,
  env: NodeJS.ProcessEnv,
  secrets: Secrets,
): { redis: RedisClient; url: string } {
  const { cluster, sentinel, username, password } = config.redis;
  secrets.addUrl(env.REDIS_URL);
  secrets.add(password);
  secrets.add(sentinel?.password);
  const url = env.REDIS_URL || config.redis.url;
  const failFast = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null } as const;
  const fields = { ...(username ? { username } : {}), ...(password ? { password } : {}) };
  // ioredis takes the URL's credentials over these: the fields serve URLs without any.
  if (url) {
    try {
      return { redis: new Redis(url, { ...failFast, ...fields }), url: shownUrl(url) };
    } catch {
      throw new UsageError(`Not a Redis URL (redis.url or REDIS_URL): ${shownUrl(url)}`);
    }
  }
  const seeds = (cluster ?? sentinel?.nodes)?.map((u) => new URL(u));
  if (seeds === undefined) {
    throw new UsageError(
      "No Redis: set redis.url, redis.cluster or redis.sentinel in the config file, or REDIS_URL.",
    );
  }
  const nodes = seeds.map((n) => ({ host: n.hostname, port: Number(n.port || (sentinel ? 26379 : 6379)) }));
  const first = seeds[0]!;
  const credentials = {
    ...fields,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === "rediss:" ? { tls: {} } : {}),
  };
  const shown = seeds.map((s) => shownUrl(s.href)).join(", ");
  if (sentinel !== undefined) {
    const redis = new Redis({
      ...failFast,
      ...credentials,
      sentinels: nodes,
      name: sentinel.name,
      ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
      sentinelRetryStrategy: () => null,
    });
    return { redis, url: `${shown} (Sentinel master ${sentinel.name})` };
  }
  const redis = new Cluster(nodes, {
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    redisOptions: { maxRetriesPerRequest: 1, ...credentials },
  });
  return { redis, url: shown };
}
