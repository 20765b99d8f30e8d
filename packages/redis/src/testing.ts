/**
 * Real Redis for tests, benchmarks and demos (`@bindpool/redis/testing`): starts `redis-server` on
 * ephemeral ports (standalone, or a 3-master cluster) and stops it afterwards. `REDIS_URL` points
 * `startRedis` at a Redis you own instead (it gets flushed). Without a Redis it throws
 * `RedisUnavailableError`, whose message says how to get one. Not for production use.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, Redis } from "ioredis";

/** How to get a Redis for `startRedis` / `startRedisCluster`; the end of every `RedisUnavailableError` message. */
export const HOW_TO_GET_REDIS =
  "These helpers need a real Redis >= 7.0: put `redis-server` and `redis-cli` on PATH " +
  "(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis), " +
  "or set REDIS_URL to a Redis you own (it will be flushed).";

/** No Redis could be started or reached; the message ends with {@link HOW_TO_GET_REDIS}. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message}. ${HOW_TO_GET_REDIS}`, options);
    this.name = "RedisUnavailableError";
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function requireBinary(name: string): void {
  if (spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status !== 0) {
    throw new RedisUnavailableError(`${name} is not on PATH`);
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

async function ping(port: number): Promise<boolean | undefined> {
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return (await c.ping()) === "PONG" ? true : undefined;
  } finally {
    c.disconnect();
  }
}

function startServer(port: number, extra: string[], cwd: string): ChildProcess {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extra],
    {
      cwd,
      stdio: "ignore",
    },
  );
  child.on("error", () => {});
  return child;
}

function stopServer(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** Closes the clients, stops the servers and removes their directory. */
function stopAll(clients: (Redis | Cluster)[], children: readonly ChildProcess[], dir: string) {
  return async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    await Promise.all(children.map((c) => stopServer(c)));
    rmSync(dir, { recursive: true, force: true });
  };
}

/** A standalone Redis: one the harness started, or `REDIS_URL`. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** A new client; closed by `stop`. */
  client(): Redis;
  stop(): Promise<void>;
  /**
   * Kills the server (SIGKILL), waits `downMs`, and starts it again on the same port and data directory
   * (with `appendOnly`, nothing written is lost). Only on a `redis-server` this harness started.
   */
  restart?(downMs?: number, options?: RestartRedisOptions): Promise<void>;
}

/** Options of {@link RedisServer.restart}. */
export interface RestartRedisOptions {
  /**
   * Start again with an empty data directory, even with `appendOnly`: a Redis that lost its disk, or one
   * without persistence. @default false
   */
  readonly loseData?: boolean;
}

export interface StartRedisOptions {
  /** Persist every write (AOF, fsync always), so `restart` keeps the data. @default false */
  readonly appendOnly?: boolean;
}

/** Starts `redis-server` on a free port (or connects to `REDIS_URL`, flushing it). */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const clients: Redis[] = [];
  const client = (url: string) => () => {
    const c = new Redis(url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  const closeClients = async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  };
  const external = process.env.REDIS_URL;
  if (external) {
    const c = new Redis(external, { maxRetriesPerRequest: 1 });
    c.on("error", () => {}); // the failed command below reports it
    try {
      await c.flushall();
    } catch (err) {
      c.disconnect();
      throw new RedisUnavailableError(`Cannot reach REDIS_URL=${external}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    await c.quit();
    return {
      url: external,
      port: Number(new URL(external).port || 6379),
      client: client(external),
      stop: closeClients,
    };
  }
  const container = await startInDocker();
  if (container !== undefined) {
    return {
      ...container,
      client: client(container.url),
      async stop() {
        await closeClients();
        await container.stop();
      },
    };
  }
  requireBinary("redis-server");
  const dir = mkdtempSync(join(tmpdir(), "bindpool-redis-"));
  const port = await freePort();
  const extra = options.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : [];
  const launch = async () => {
    const started = startServer(port, extra, dir);
    try {
      await waitFor(`redis-server on port ${port}`, () => ping(port));
    } catch (err) {
      await stopServer(started);
      throw new RedisUnavailableError((err as Error).message, { cause: err });
    }
    return started;
  };
  let child = await launch();
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    client: client(url),
    async stop() {
      await closeClients();
      await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0, restartOptions: RestartRedisOptions = {}) {
      await stopServer(child, "SIGKILL");
      if (restartOptions.loseData) {
        for (const file of readdirSync(dir)) rmSync(join(dir, file), { recursive: true, force: true });
      }
      await new Promise((r) => setTimeout(r, downMs));
      child = await launch();
    },
  };
}

/** A 3-master Redis Cluster the harness started. */
export interface RedisClusterServer {
  readonly ports: readonly number[];
  /** A new ioredis Cluster client; closed by `stop`. */
  client(): Cluster;
  stop(): Promise<void>;
}

/** Starts 3 `redis-server --cluster-enabled yes` and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisClusterServer> {
  requireBinary("redis-server");
  requireBinary("redis-cli");
  const dir = mkdtempSync(join(tmpdir(), "bindpool-cluster-"));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const clients: Cluster[] = [];
  const stop = stopAll(clients, children, dir);
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(
        startServer(
          port,
          [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${port}.conf`,
            "--cluster-node-timeout",
            "2000",
          ],
          dir,
        ),
      );
    }
    for (const port of ports) await waitFor(`redis-server on port ${port}`, () => ping(port));
    const create = spawnSync(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const port of ports) {
      await waitFor(`cluster_state:ok on ${port}`, async () => {
        const c = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
        c.on("error", () => {});
        try {
          const info = await c.cluster("INFO");
          return String(info).includes("cluster_state:ok") ? true : undefined;
        } finally {
          c.disconnect();
        }
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    client() {
      const c = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })));
      clients.push(c);
      return c;
    },
    stop,
  };
}

/** A Redis master watched by one Sentinel (quorum 1), both started by the harness. */
export interface RedisSentinelServer {
  /** The master's name at the Sentinel. */
  readonly name: string;
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** A new ioredis client that finds the master through the Sentinel; closed by `stop`. */
  client(): Redis;
  stop(): Promise<void>;
}

/** Starts a `redis-server` and a `redis-server --sentinel` that monitors it as `name`. */
export async function startRedisSentinel(name = "bindpool"): Promise<RedisSentinelServer> {
  requireBinary("redis-server");
  const dir = mkdtempSync(join(tmpdir(), "bindpool-sentinel-"));
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const stop = stopAll(clients, children, dir);
  const sentinels = [{ host: "127.0.0.1", port: await freePort() }];
  try {
    const masterPort = await freePort();
    children.push(startServer(masterPort, [], dir));
    await waitFor(`redis-server on port ${masterPort}`, () => ping(masterPort));
    const { port } = sentinels[0]!;
    const conf = join(dir, "sentinel.conf");
    const lines = [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 5000`,
    ];
    writeFileSync(conf, `${lines.join("\n")}\n`);
    const sentinel = spawn("redis-server", [conf, "--sentinel"], { cwd: dir, stdio: "ignore" });
    sentinel.on("error", () => {});
    children.push(sentinel);
    await waitFor(`the sentinel on port ${port} to know ${name}`, async () => {
      const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
      c.on("error", () => {});
      try {
        await c.connect();
        const addr = (await c.call("SENTINEL", "get-master-addr-by-name", name)) as string[] | null;
        return addr?.[1] === String(masterPort) ? true : undefined;
      } finally {
        c.disconnect();
      }
    });
  } catch (err) {
    await stop();
    throw new RedisUnavailableError((err as Error).message, { cause: err });
  }
  return {
    name,
    sentinels,
    client() {
      const c = new Redis({ sentinels: [...sentinels], name, maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    },
    stop,
  };
}

/** The part of the optional `testcontainers` package used here. */
interface TestcontainersModule {
  GenericContainer: new (
    image: string,
  ) => {
    withExposedPorts(port: number): {
      start(): Promise<{ getHost(): string; getMappedPort(port: number): number; stop(): Promise<unknown> }>;
    };
  };
}

/**
 * Where a Docker engine answers and the optional `testcontainers` package is installed, a `redis:7`
 * container instead of a local `redis-server` (BINDPOOL_TESTCONTAINERS=0 turns this off). Anywhere else,
 * `undefined`: the caller starts `redis-server` itself.
 */
async function startInDocker(): Promise<{ url: string; port: number; stop(): Promise<void> } | undefined> {
  if (process.env.BINDPOOL_TESTCONTAINERS === "0") return undefined;
  if (spawnSync("docker", ["info"], { stdio: "ignore", timeout: 5_000 }).status !== 0) return undefined;
  let tc: TestcontainersModule;
  try {
    const name = "testcontainers"; // optional: not a dependency, so not named statically
    tc = (await import(name)) as TestcontainersModule;
  } catch {
    return undefined;
  }
  const container = await new tc.GenericContainer("redis:7-alpine").withExposedPorts(6379).start();
  const port = container.getMappedPort(6379);
  return {
    url: `redis://${container.getHost()}:${port}`,
    port,
    async stop() {
      await container.stop();
    },
  };
}
