import { createNoopMeter, type Meter, metrics } from "@opentelemetry/api";
import type { Allocator } from "../allocator/allocator.js";
import type { Logger } from "./logging.js";

export interface MetricsOptions {
  /** Where to record. @default metrics.getMeter("bindpool") from the global MeterProvider */
  readonly meter?: Meter;
  /**
   * Where the warning about a missing global MeterProvider goes.
   * @default the allocator's `logger`, else `process.emitWarning`
   */
  readonly logger?: Logger;
}

/** The `code` of the warning given when metrics are requested but would go nowhere. */
export const NO_METER_PROVIDER_WARNING = "BINDPOOL_METRICS_NO_PROVIDER";

const NO_PROVIDER_MESSAGE =
  "bindpool: instrumentAllocator found no global OpenTelemetry MeterProvider, so its metrics are dropped. " +
  "Register the SDK's MeterProvider (metrics.setGlobalMeterProvider) before calling instrumentAllocator, " +
  "or pass `meter`. With one registered, check that the app and @bindpool/core share one " +
  "@opentelemetry/api (npm ls @opentelemetry/api): a second copy does not see the first's provider.";

/**
 * The global meter, and a warning when it is the API's no-op meter. The metrics API has no proxy (unlike
 * traces): a meter taken before the SDK registers its provider stays a no-op for good, and an API copy
 * other than the SDK's never sees the provider. Either way every series would be silently empty.
 */
function globalMeter(logger: Logger | undefined): Meter {
  const meter = metrics.getMeter("bindpool");
  if (meter === createNoopMeter()) {
    if (logger !== undefined) logger.warn({ code: NO_METER_PROVIDER_WARNING }, NO_PROVIDER_MESSAGE);
    else process.emitWarning(NO_PROVIDER_MESSAGE, { code: NO_METER_PROVIDER_WARNING });
  }
  return meter;
}

/**
 * Records the allocator's activity as OpenTelemetry metrics (any exporter works): allocations and their
 * latency, retries by reason, platform calls by result code, releases, lease expiries, quarantines,
 * reconciler fixes, and pool utilisation per pool and per city (an observable gauge, read on export).
 * Returns a function that stops recording. Without `meter`, it warns once (this call) when no global
 * MeterProvider is registered: the metrics would go nowhere.
 */
export function instrumentAllocator(allocator: Allocator, options: MetricsOptions = {}): () => void {
  const meter = options.meter ?? globalMeter(options.logger ?? allocator.logger);
  const allocations = meter.createCounter("bindpool.allocations", { description: "Bindings made" });
  const allocationMs = meter.createHistogram("bindpool.allocation.duration", {
    unit: "ms",
    description: "allocate() latency",
  });
  const retries = meter.createCounter("bindpool.retries", {
    description: "Attempts that failed and were retried, by reason",
  });
  const calls = meter.createCounter("bindpool.platform.calls", {
    description: "Platform calls by operation and result code",
  });
  const callMs = meter.createHistogram("bindpool.platform.duration", {
    unit: "ms",
    description: "Platform call latency",
  });
  const releases = meter.createCounter("bindpool.releases", {
    description: "Bindings unbound and freed, by reason",
  });
  const queued = meter.createCounter("bindpool.unbinds.queued", {
    description: "Unbinds that failed and were queued",
  });
  const leaseExpiries = meter.createCounter("bindpool.lease.expiries", {
    description: "Reservations whose lease ended",
  });
  const quarantines = meter.createCounter("bindpool.quarantines", { description: "X numbers quarantined" });
  const fixes = meter.createCounter("bindpool.reconciler.fixes", {
    description: "Repairs by the reconciler and sweeper, and unknown bindings the allocator fenced off",
  });
  const utilisation = meter.createObservableGauge("bindpool.pool.utilisation", {
    description:
      "Share of the capacity of X numbers that take new binds (active) in use on them (reserved + bound), per pool and city",
  });

  const off = [
    allocator.on("allocated", (e) => {
      allocations.add(1, { pool: e.binding.pool });
      allocationMs.record(e.latencyMs, { pool: e.binding.pool });
    }),
    allocator.on("retried", (e) => retries.add(1, { pool: e.pool, reason: e.reason, code: e.code })),
    allocator.on("platformCall", (e) => {
      calls.add(1, { op: e.op, kind: e.kind, code: e.code });
      callMs.record(e.latencyMs, { op: e.op });
    }),
    allocator.on("released", (e) => releases.add(1, { pool: e.pool, reason: e.reason })),
    allocator.on("unbindQueued", (e) => queued.add(1, { pool: e.pool, code: e.code })),
    allocator.on("leaseExpired", (e) => leaseExpiries.add(1, { pool: e.pool })),
    allocator.on("quarantined", (e) => quarantines.add(1, { pool: e.pool, code: e.code })),
    allocator.on("adopted", (e) => fixes.add(1, { pool: e.pool, action: "adopted", by: e.by })),
    allocator.on("fenced", (e) => fixes.add(1, { pool: e.pool, action: "fenced", by: "allocator" })),
    allocator.on("reconciled", (e) => fixes.add(1, { pool: e.pool, action: e.action, by: "reconciler" })),
  ];
  const observe = async (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    for (const u of await allocator.utilisation()) {
      result.observe(u.capacity === 0 ? 0 : u.load / u.capacity, { pool: u.pool, city: u.city });
    }
  };
  utilisation.addCallback(observe);
  return () => {
    for (const f of off) f();
    utilisation.removeCallback(observe);
  };
}
