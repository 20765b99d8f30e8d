import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import {
  Allocator,
  instrumentAllocator,
  type Logger,
  MemoryStore,
  NO_METER_PROVIDER_WARNING,
} from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const numbers = [
  { x: "+8619900000001", city: "0755" },
  { x: "+8619900000002", city: "010" },
];
const fail = (kind: string, code: string) => ({ kind, code, message: "scripted" }) as never;

describe("observability", () => {
  it("logs events through a pino-style logger with phone numbers masked", async () => {
    const lines: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
    const logger: Logger = {
      debug: (fields, message) =>
        lines.push({ level: "debug", fields: fields as Record<string, unknown>, message }),
      info: (fields, message) =>
        lines.push({ level: "info", fields: fields as Record<string, unknown>, message }),
      warn: (fields, message) =>
        lines.push({ level: "warn", fields: fields as Record<string, unknown>, message }),
      error: (fields, message) =>
        lines.push({ level: "error", fields: fields as Record<string, unknown>, message }),
    };
    const platform = new ScriptedPlatform();
    platform.script.set("*", [fail("conflict", "1012010")]);
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver: platform,
      pools: [{ id: "p", mode: "AXB", numbers }],
      logger,
    });
    await allocator.allocate({
      pool: "p",
      orderKey: "o1",
      a: "+8613812345678",
      b: "+8613987654321",
      ttlSeconds: 60,
    });
    await allocator.complete("o1");
    expect(lines.map((l) => l.message)).toEqual([
      "bindpool: retried",
      "bindpool: allocated",
      "bindpool: released",
    ]);
    const text = JSON.stringify(lines);
    expect(text).not.toContain("13812345678");
    expect(text).not.toContain("13987654321");
    expect(text).toContain("+86****5678");
  });

  it("records OpenTelemetry metrics: allocations, retries by reason, platform calls by code, utilisation per city", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const platform = new ScriptedPlatform();
    platform.script.set("*", [fail("exhausted", "1012009")]);
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver: platform,
      pools: [{ id: "p", mode: "AXB", numbers: numbers.map((n) => ({ ...n, capacity: 10 })) }],
    });
    const stop = instrumentAllocator(allocator, { meter: provider.getMeter("test") });
    await allocator.allocate({
      pool: "p",
      orderKey: "o1",
      a: "+8613800000001",
      b: "+8613800000002",
      ttlSeconds: 60,
    });
    await reader.forceFlush();
    const points = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>();
    for (const rm of exporter.getMetrics()) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics)
          points.set(
            m.descriptor.name,
            m.dataPoints.map((d) => ({ attributes: d.attributes, value: d.value })),
          );
      }
    }
    expect(points.get("bindpool.allocations")?.[0]?.value).toBe(1);
    expect(points.get("bindpool.retries")).toEqual([
      { attributes: { pool: "p", reason: "exhausted", code: "1012009" }, value: 1 },
    ]);
    const calls = points
      .get("bindpool.platform.calls")
      ?.map((p) => `${p.attributes.op}:${p.attributes.code}=${p.value}`);
    // The new pool is rebuilt from the platform on first use: a query that checks the credentials, then
    // one per X (two).
    expect(calls?.sort()).toEqual(["bind:0=1", "bind:1012009=1", "query:0=3"]);
    const util = points
      .get("bindpool.pool.utilisation")
      ?.map((p) => `${p.attributes.city}=${p.value}`)
      .sort();
    expect(util).toHaveLength(2); // one X is cooling down after "full": it takes no binds but is still active
    expect(util).toContain(util?.find((u) => u.endsWith("=0.1")));
    stop();
    await provider.shutdown();
  });

  it("warns once through the allocator's logger when metrics are requested with no global MeterProvider", () => {
    const warnings: { fields: object; message?: string }[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (fields, message) => warnings.push({ fields, message }),
      error: () => {},
    };
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver: new ScriptedPlatform(),
      pools: [{ id: "p", mode: "AXB", numbers }],
      logger,
    });
    const stop = instrumentAllocator(allocator);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toEqual({ code: NO_METER_PROVIDER_WARNING });
    expect(warnings[0]?.message).toContain("no global OpenTelemetry MeterProvider");
    stop();
  });

  it("warns through process.emitWarning when the allocator has no logger", async () => {
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver: new ScriptedPlatform(),
      pools: [{ id: "p", mode: "AXB", numbers }],
    });
    const warning = new Promise<Error & { code?: string }>((resolve) => process.once("warning", resolve));
    instrumentAllocator(allocator)();
    expect((await warning).code).toBe(NO_METER_PROVIDER_WARNING);
  });

  it("does not warn when a global MeterProvider is registered or a meter is given", async () => {
    const warned: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (_fields, message) => warned.push(message ?? ""),
      error: () => {},
    };
    const allocator = new Allocator({
      store: new MemoryStore(),
      driver: new ScriptedPlatform(),
      pools: [{ id: "p", mode: "AXB", numbers }],
      logger,
    });
    const provider = new MeterProvider();
    instrumentAllocator(allocator, { meter: provider.getMeter("given") })();
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    try {
      instrumentAllocator(allocator)();
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
    expect(warned).toEqual([]);
  });
});
