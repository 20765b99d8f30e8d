/**
 * A newcomer's service in miniature, built from the packed tarballs (see ../pack-smoke.sh): OTel SDK with
 * a Prometheus exporter registered globally, an allocator on Redis (ioredis from npm) with the Huawei
 * driver pointed at bindpool-sim; one order allocated and completed, then the exporter scraped over HTTP.
 * Env: REDIS_URL, SIM_URL, SIM_APP_KEY, SIM_APP_SECRET, SIM_NUMBERS (comma list), PROM_PORT.
 */
import { Allocator, instrumentAllocator, type Logger } from "@bindpool/core";
import { HuaweiDriver } from "@bindpool/huawei";
import { RedisLock, RedisStore } from "@bindpool/redis";
import { metrics } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { Redis } from "ioredis";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`pack-smoke app: set ${name}`);
  return value;
}

const warnings: string[] = [];
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (fields, message) => warnings.push(`${message ?? ""} ${JSON.stringify(fields)}`),
  error: (fields, message) => warnings.push(`${message ?? ""} ${JSON.stringify(fields)}`),
};

const promPort = Number(env("PROM_PORT"));
const exporter = new PrometheusExporter({ host: "127.0.0.1", port: promPort });
const provider = new MeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(provider);

const redis = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: 1 });
try {
  const store = new RedisStore({ redis, prefix: "smoke" });
  const allocator = new Allocator({
    store,
    lock: new RedisLock({ redis, prefix: "smoke" }),
    driver: new HuaweiDriver({
      baseUrl: env("SIM_URL"),
      appKey: env("SIM_APP_KEY"),
      appSecret: env("SIM_APP_SECRET"),
    }),
    pools: [
      {
        id: "rides",
        mode: "AXB",
        numbers: env("SIM_NUMBERS")
          .split(",")
          .map((x) => ({ x, city: "0755", province: "GD" })),
      },
    ],
    logger,
  });
  const stop = instrumentAllocator(allocator);

  const binding = await allocator.allocate({
    pool: "rides",
    orderKey: "smoke-order-1",
    a: "+8613800000001",
    b: "+8613900000002",
    ttlSeconds: 600,
  });
  const { status: completed } = await allocator.complete("smoke-order-1");
  if (completed !== "released") throw new Error(`complete answered ${completed}`);

  const scrape = await fetch(`http://127.0.0.1:${promPort}/metrics`);
  const text = await scrape.text();
  const series = text.split("\n").filter((line) => line.startsWith("bindpool_"));
  const wanted = [
    "bindpool_allocations",
    "bindpool_releases",
    "bindpool_platform_calls",
    "bindpool_pool_utilisation",
  ];
  const missing = wanted.filter((name) => !series.some((line) => line.startsWith(name)));
  if (scrape.status !== 200 || missing.length > 0) {
    throw new Error(`scrape ${scrape.status}: missing ${missing.join(", ")}\n${text}`);
  }
  if (warnings.length > 0) throw new Error(`bindpool warned:\n${warnings.join("\n")}`);
  stop();
  console.log(
    JSON.stringify({
      x: binding.x,
      subscriptionId: binding.subscriptionId,
      completed,
      series: series.length,
    }),
  );
  for (const line of series.filter((l) => /^bindpool_(allocations|releases)/.test(l))) console.log(line);
} finally {
  await redis.quit();
  await provider.shutdown();
}
