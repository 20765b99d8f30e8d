import type { Events } from "../events/index.js";
import { mask } from "../model/user-data.js";

/** The logger bindpool writes to: pino's shape (`logger.info(fields, message)`); pino itself fits. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** Writes the allocator's events as structured log lines. Phone numbers are masked (`+86****0001`). */
export function attachLogger(events: Events, logger: Logger): void {
  events.on("allocated", ({ binding, attempts, latencyMs }) =>
    logger.debug(
      {
        pool: binding.pool,
        orderKey: binding.orderKey,
        x: mask(binding.x),
        a: mask(binding.a),
        b: mask(binding.b),
        attempts,
        latencyMs,
      },
      "bindpool: allocated",
    ),
  );
  events.on("released", (e) => logger.debug({ ...e, x: mask(e.x) }, "bindpool: released"));
  events.on("retried", (e) => logger.info({ ...e, x: mask(e.x) }, "bindpool: retried"));
  events.on("quarantined", (e) => logger.warn({ ...e, x: mask(e.x) }, "bindpool: number quarantined"));
  events.on("unbindQueued", (e) =>
    logger.warn({ ...e, x: mask(e.x) }, "bindpool: unbind failed, queued for retry"),
  );
  events.on("leaseLost", (e) =>
    logger.warn({ ...e, x: mask(e.x) }, "bindpool: lease lost before confirm, binding undone"),
  );
  events.on("leaseExpired", (e) =>
    logger.info({ ...e, x: mask(e.x) }, "bindpool: lease expired, number freed"),
  );
  events.on("fenced", (e) =>
    logger.warn({ ...e, x: mask(e.x) }, "bindpool: unknown platform binding fenced off its X"),
  );
  events.on("adopted", (e) => logger.info({ ...e, x: mask(e.x) }, "bindpool: platform binding adopted"));
  events.on("reconciled", (e) => logger.warn({ ...e, x: mask(e.x) }, `bindpool: reconciler ${e.action}`));
  events.on("reassigned", ({ pool, orderKey, binding, via }) =>
    logger.info({ pool, orderKey, x: mask(binding.x), b: mask(binding.b), via }, "bindpool: reassigned"),
  );
}
