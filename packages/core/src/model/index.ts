import { z } from "zod";
import { ValidationError } from "../errors/index.js";

export * from "./entry-keys.js";
export { mask, maskPhones, orderKeyFromUserData, userDataFor } from "./user-data.js";

/**
 * A phone number in global (E.164) format: `+`, country code, subscriber digits, at most 15 digits.
 * The platform wants mainland numbers as `+86...`.
 */
export const PhoneSchema = z
  .string()
  .regex(
    /^\+[1-9]\d{6,14}$/,
    "must be a phone number in global format: '+', country code and digits, e.g. +8613800000001",
  );
export type Phone = string;

export const ModeSchema = z.enum(["AXB", "AX", "AXE", "AXYB"]);
/**
 * Binding mode: AXB binds a pair (A, B) to X; AX binds one A to X; AXE binds one A behind X plus an
 * extension E (callers dial X, then E); AXYB binds A to X and B to Y (B sees X as A's number, A sees Y
 * as B's).
 */
export type Mode = z.infer<typeof ModeSchema>;

/** An area (city) code as the platform uses it, e.g. `0755`, `010`. */
export const AreaCodeSchema = z
  .string()
  .regex(/^\d{2,6}$/, "must be a city/area code of 2-6 digits, e.g. 0755");

export const NumberStateSchema = z.enum(["active", "draining", "quarantined", "retired"]);
/**
 * Lifecycle state of an X number. `active` takes new binds; `draining` and `retired` take none (existing
 * bindings finish); `quarantined` takes none until lifted (the platform reported it abnormal).
 */
export type NumberState = z.infer<typeof NumberStateSchema>;

export const NumberConfigSchema = z.strictObject({
  /** The X number. */
  x: PhoneSchema,
  /** City/area code of X, used for area matching. */
  city: AreaCodeSchema.optional(),
  /** Province (any label), the second rung of the area fallback ladder. */
  province: z.string().min(1).max(32).optional(),
  /**
   * Most bindings X may carry; defaults to the mode's platform capacity (AXB 5000, AX 1, AXE 200, AXYB 1:
   * there a binding counts on both of its numbers, X and Y; at most 5).
   */
  capacity: z.number().int().positive().optional(),
  state: NumberStateSchema.optional(),
  /**
   * AXE: the extension length set for X at the platform (1-4 digits: 9, 99, 999 or 9 999 extensions).
   * bindpool picks each binding's extension itself, so it must match the platform's setting.
   * @default 4
   */
  extensionDigits: z.number().int().min(1).max(4).optional(),
});
export type NumberConfig = z.input<typeof NumberConfigSchema>;

export const PoolIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1-64 characters of letters, digits, '_', '.', ':' or '-'");

/** The most pairs one X carries at the platform (AXB, 1012009); a configured capacity may only be lower. */
export const PLATFORM_MAX_PAIRS_PER_X = 5000;

/**
 * AXYB: the most bindings one number takes part in (as X or as Y). The platform's query by X answers a
 * list of 1-5 bindings with no paging, so a number with more could not be listed whole.
 */
export const AXYB_MAX_RELATIONS_PER_NUMBER = 5;

/** AXE: the extension length of an X when its config does not say. */
export const DEFAULT_EXTENSION_DIGITS = 4;

/** AXE: whether two extensions are the same, however they are padded (`042` and `0042`). */
export function sameExtension(a: string | undefined, b: string | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && Number(a) === Number(b));
}

/** AXE: the extensions an X of `digits` digits has (`1`..`9`, ..., `0001`..`9999`: 0 is not one). */
export function extensionSpace(digits: number): number {
  return 10 ** digits - 1;
}

export const PoolConfigSchema = z
  .strictObject({
    id: PoolIdSchema,
    mode: ModeSchema,
    numbers: z.array(NumberConfigSchema).min(1, "a pool needs at least one X number"),
  })
  .superRefine((pool, ctx) => {
    pool.numbers.forEach((n, i) => {
      if (pool.mode !== "AXE" && n.extensionDigits !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["numbers", i, "extensionDigits"],
          message: `only AXE numbers have extensions (this pool is ${pool.mode})`,
        });
      }
      const most =
        pool.mode === "AXE"
          ? extensionSpace(n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS)
          : pool.mode === "AXYB"
            ? AXYB_MAX_RELATIONS_PER_NUMBER
            : PLATFORM_MAX_PAIRS_PER_X;
      if (n.capacity !== undefined && n.capacity > most) {
        ctx.addIssue({
          code: "custom",
          path: ["numbers", i, "capacity"],
          message:
            pool.mode === "AXE"
              ? `${n.capacity} is more than the ${most} extensions of ${n.extensionDigits ?? DEFAULT_EXTENSION_DIGITS} digits`
              : pool.mode === "AXYB"
                ? `${n.capacity} is more than the ${most} bindings the platform lists for one AXYB number`
                : `${n.capacity} is more than the ${most} pairs one X carries at the platform`,
        });
      }
    });
  });
export type PoolConfig = z.input<typeof PoolConfigSchema>;

/** A caller's order id. No control characters: keys that start with one are bindpool's own (`entry-keys.ts`). */
export const OrderKeySchema = z
  .string()
  .min(1)
  .max(128)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

export const AreaSchema = z.strictObject({
  city: AreaCodeSchema,
  /** Province of the city, for the ladder's second rung; defaults to the province of the city's numbers. */
  province: z.string().min(1).max(32).optional(),
  /** `strict`: only X of that city. `ladder`: the city, then its province, then any X of the pool. */
  match: z.enum(["strict", "ladder"]).default("strict"),
});
export type Area = z.input<typeof AreaSchema>;

export const StrategySchema = z.discriminatedUnion("name", [
  z.strictObject({ name: z.literal("leastLoaded") }),
  z.strictObject({ name: z.literal("pack") }),
]);
/**
 * How to choose among valid X numbers. Data, not a callback: every store implements each strategy
 * inside its atomic reserve step. `leastLoaded` spreads pairs (and calls) evenly; `pack` fills numbers first.
 */
export type Strategy = z.infer<typeof StrategySchema>;

const MAX_TTL_SECONDS = 7_776_000; // the platform's longest binding duration, 90 days

export const AllocateRequestSchema = z
  .strictObject({
    pool: PoolIdSchema,
    orderKey: OrderKeySchema,
    a: PhoneSchema,
    b: PhoneSchema.optional(),
    /** Lifetime of the order in seconds; the platform binding lives this long plus a grace. */
    ttlSeconds: z.number().int().positive().max(MAX_TTL_SECONDS),
    area: AreaSchema.optional(),
    /**
     * Sticky pick: the X this pair talked through before (e.g. on their last order). When it can still
     * take the pair (its state, cooldown and capacity allow it, no user of the pair is on it, and with a
     * `strict` area it is in the city) it is picked whatever the strategy, so a rider who calls back
     * reaches the same number; otherwise the strategy picks as usual.
     */
    preferX: PhoneSchema.optional(),
    /** Customer data the platform echoes in call events and CDRs (at most 256 characters). */
    userData: z.string().min(1).max(256).optional(),
  })
  .refine((r) => r.b === undefined || r.a !== r.b, {
    message: "a and b must be different numbers",
    path: ["b"],
  });
export type AllocateRequest = z.input<typeof AllocateRequestSchema>;

/** A live reservation or binding of one order on one X, as the store holds it. */
export interface Entry {
  readonly pool: string;
  readonly orderKey: string;
  readonly x: Phone;
  readonly a: Phone;
  readonly b?: Phone | undefined;
  /**
   * AXB: the B before a `changeB` whose platform modify is not settled yet. It stays held on X (no other
   * pair gets it) until `settleB` keeps one of the two.
   */
  readonly previousB?: Phone | undefined;
  /** Fencing token of the reservation; confirm and release present it. */
  readonly token: number;
  /**
   * `reserved`: X is held while the platform bind is in flight. `bound`: the platform accepted the binding.
   * `releasing`: the order ended but the platform unbind has not gone through yet; X stays held (no
   * conflicting pair gets it) until the unbind succeeds.
   */
  readonly status: "reserved" | "bound" | "releasing";
  /** AXE: the extension behind X the entry holds (unique on X), zero-padded to X's extension length. */
  readonly extension?: string | undefined;
  /**
   * AXYB: B's privacy number (A calls Y to reach B); `x` is A's (B calls X to reach A). Another number of
   * the same pool than X; the entry holds both.
   */
  readonly y?: Phone | undefined;
  /** Reserved: when the lease ends. Bound: when the order expires. Releasing: when to retry the unbind. */
  readonly untilMs: number;
  readonly subscriptionId?: string | undefined;
}

/** What `allocate` returns: the X the pair talks through, and the platform's id of the binding. */
export interface Binding {
  readonly pool: string;
  readonly orderKey: string;
  readonly x: Phone;
  readonly a: Phone;
  readonly b?: Phone | undefined;
  /** AXE: the extension callers dial after X to reach A. */
  readonly extension?: string | undefined;
  /** AXYB: the number A calls to reach B (B calls `x` to reach A). */
  readonly y?: Phone | undefined;
  readonly subscriptionId: string;
  /** When the order expires, ms since the epoch. */
  readonly expiresAtMs: number;
}

export function toBinding(e: Entry): Binding {
  if (e.status !== "bound" || e.subscriptionId === undefined) {
    throw new ValidationError(`toBinding needs a bound entry; order "${e.orderKey}" is ${e.status}.`);
  }
  return {
    pool: e.pool,
    orderKey: e.orderKey,
    x: e.x,
    a: e.a,
    b: e.b,
    ...(e.extension === undefined ? {} : { extension: e.extension }),
    ...(e.y === undefined ? {} : { y: e.y }),
    subscriptionId: e.subscriptionId,
    expiresAtMs: e.untilMs,
  };
}
