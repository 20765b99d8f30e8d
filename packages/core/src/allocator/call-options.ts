/**
 * Schemas of the options of the allocator's operator and job calls, checked before anything changes.
 */
import { z } from "zod";
import { NumberStateSchema, PoolIdSchema } from "../model/index.js";
import { fromZod } from "./options.js";

const signal = z.instanceof(AbortSignal, { error: "must be an AbortSignal" }).optional();

export const SweepOptionsSchema = z.strictObject({
  pool: PoolIdSchema.optional(),
  limit: z.number().int().min(1).max(100_000).optional(),
  signal,
});

export const ReconcileOptionsSchema = z.strictObject({
  pool: PoolIdSchema.optional(),
  adoptUnknown: z.boolean().optional(),
  adoptTtlSeconds: z.number().int().min(1).max(7_776_000).optional(),
  signal,
});

export const NumberStateOptionsSchema = z
  .strictObject({
    pool: PoolIdSchema.optional(),
    /** With `quarantined`: when the quarantine lifts, ms since the epoch. */
    untilMs: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    state: NumberStateSchema,
  })
  .refine((o) => o.untilMs === undefined || o.state === "quarantined", {
    message: 'goes with "quarantined" only',
    path: ["untilMs"],
  });

/** The parsed options, or a `ValidationError` naming each bad field (numbers masked). */
export function parseCallOptions<S extends z.ZodType>(schema: S, what: string, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw fromZod(`Invalid ${what} options`, parsed.error, value);
  return parsed.data;
}
