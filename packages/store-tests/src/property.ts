import type { Entry, Mode, Phone, Store } from "@bindpool/core";
import fc from "fast-check";
import { invariantViolations } from "./invariants.js";
import { type ModelReserve, PoolModel } from "./model.js";

const LEASE_MS = 1_000;
const TTL_MS = 5_000;
const CITIES = [
  { city: "0755", province: "GD" },
  { city: "020", province: "GD" },
  { city: "010", province: "BJ" },
];
const USERS = ["+8613800000001", "+8613800000002", "+8613800000003", "+8613800000004", "+8613800000005"];
const ORDERS = ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"];

type Command =
  /** `withOldB`: the pair takes a B that a pending changeB is leaving (when there is one). */
  | { op: "reserve"; req: ModelReserve; withOldB: boolean }
  /** `onReserved`: aim at a reserved entry (when there is one) instead of `orderKey`. */
  | { op: "confirm"; orderKey: string; onReserved: boolean; wrongToken: boolean }
  | { op: "release"; orderKey: string; withToken: boolean }
  | { op: "extend"; orderKey: string }
  | { op: "markReleasing"; orderKey: string }
  /** `onBound`: aim at a bound entry (when there is one) instead of `orderKey`. */
  | { op: "changeB"; orderKey: string; onBound: boolean; b: Phone }
  /** `b`: settle on the entry's B, on its previousB, or on `other` (any user). */
  | {
      op: "settleB";
      orderKey: string;
      onBound: boolean;
      b: "current" | "previous" | "other";
      other: Phone;
    }
  | { op: "sweep" }
  | { op: "advance"; ms: number }
  | { op: "quarantine"; xi: number; forMs: number | undefined }
  | { op: "drain"; xi: number }
  | { op: "activate"; xi: number }
  | { op: "cooldown"; xi: number; forMs: number }
  | { op: "rebuild" }
  | { op: "finishRecovery"; stale: boolean };

function commandArb(xCount: number): fc.Arbitrary<Command> {
  const user = fc.constantFrom(...USERS);
  const orderKey = fc.constantFrom(...ORDERS);
  const xi = fc.nat(xCount - 1);
  const mostly = fc.constantFrom(true, true, true, false);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant("reserve" as const),
        req: fc
          .record({
            orderKey,
            a: user,
            b: user,
            area: fc.option(
              fc.record({
                city: fc.constantFrom("0755", "020", "010", "021"),
                match: fc.constantFrom("strict" as const, "ladder" as const),
              }),
              { nil: undefined },
            ),
            exclude: fc.array(xi, { maxLength: 2 }).map((is) => is.map(phoneX)),
            strategy: fc.constantFrom("leastLoaded" as const, "pack" as const),
            preferX: fc.option(xi.map(phoneX), { nil: undefined }),
            // Sometimes a named X (adoption), which tests the pair's rules on that X alone.
            x: fc.oneof(
              { weight: 3, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: xi.map(phoneX) },
            ),
            // AXE, with x: the binding's extension (padded to X's length when the command runs).
            extensionNumber: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
            // AXYB, with x: the binding's Y (sometimes X itself, which no store may take).
            yNumber: xi.map(phoneX),
          })
          .filter((r) => r.a !== r.b),
        withOldB: mostly.map((m) => !m),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("confirm" as const),
        orderKey,
        onReserved: mostly,
        wrongToken: mostly.map((m) => !m),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant("release" as const), orderKey, withToken: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("extend" as const), orderKey }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("markReleasing" as const), orderKey }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant("changeB" as const), orderKey, onBound: mostly, b: user }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("settleB" as const),
        orderKey,
        onBound: mostly,
        b: fc.constantFrom("current" as const, "previous" as const, "other" as const),
        other: user,
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: "sweep" as const }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 3_000 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("quarantine" as const),
        xi,
        forMs: fc.option(fc.integer({ min: 1, max: 4_000 }), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("drain" as const), xi }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("activate" as const), xi }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("cooldown" as const),
        xi,
        forMs: fc.integer({ min: 1, max: 4_000 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: "rebuild" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("finishRecovery" as const), stale: fc.boolean() }),
    },
  );
}

function phoneX(i: number): Phone {
  return `+861990000${String(i).padStart(4, "0")}`;
}

/**
 * The orderKey of an entry in `status`, chosen by `orderKey`'s place in ORDERS; `orderKey` itself when no
 * entry has that status. Random keys alone seldom reach a bound entry, and changeB needs one.
 */
function aimAt(model: PoolModel, status: Entry["status"], orderKey: string): string {
  const keys = [...model.entries.values()].filter((e) => e.status === status).map((e) => e.orderKey);
  if (keys.length === 0) return orderKey;
  return keys.sort()[ORDERS.indexOf(orderKey) % keys.length]!;
}

/**
 * The reserve as the mode takes it: B only in AXB and AXYB, an extension only in AXE with a named X, a Y
 * only in AXYB with a named X.
 */
function forMode(
  model: PoolModel,
  req: ModelReserve & { extensionNumber?: number | undefined; yNumber?: Phone | undefined },
): ModelReserve {
  const { extensionNumber, yNumber, ...rest } = req;
  const digits = req.x === undefined ? undefined : model.numbers.get(req.x)?.digits;
  return {
    ...rest,
    b: model.mode === "AXB" || model.mode === "AXYB" ? req.b : undefined,
    y: model.mode === "AXYB" && req.x !== undefined ? yNumber : undefined,
    extension:
      model.mode === "AXE" && digits !== undefined && extensionNumber !== undefined
        ? String(extensionNumber).padStart(digits, "0")
        : undefined,
  };
}

/** The request with a pending previousB as its B (A moves to the old b if it was that number). */
function withOldB(model: PoolModel, req: ModelReserve): ModelReserve {
  const old = [...model.entries.values()].find((e) => e.previousB !== undefined)?.previousB;
  if (old === undefined || req.b === undefined) return req;
  return { ...req, a: req.a === old ? req.b : req.a, b: old };
}

function sameEntry(a: Entry, b: Entry): boolean {
  return (
    a.orderKey === b.orderKey &&
    a.x === b.x &&
    a.a === b.a &&
    a.b === b.b &&
    a.previousB === b.previousB &&
    a.extension === b.extension &&
    a.y === b.y &&
    a.token === b.token &&
    a.status === b.status &&
    a.untilMs === b.untilMs &&
    a.subscriptionId === b.subscriptionId
  );
}

/**
 * Runs random command sequences against a fresh store and a reference model; fails on the first answer
 * or state where they disagree, or when an invariant of DESIGN.md breaks.
 */
export function modelProperty(mode: Mode, create: () => Promise<Store>, done: (s: Store) => Promise<void>) {
  const xCount = mode === "AX" ? 7 : 5;
  const setup = fc.record({
    capacities: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: xCount, maxLength: xCount }),
    cities: fc.array(fc.nat(CITIES.length - 1), { minLength: xCount, maxLength: xCount }),
    digits: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: xCount, maxLength: xCount }),
  });
  return fc.asyncProperty(
    setup,
    fc.array(commandArb(xCount), { maxLength: 40, size: "max" }),
    async (pool, commands) => {
      const store = await create();
      try {
        await run(store, mode, xCount, pool, commands);
      } finally {
        await done(store);
      }
    },
  );
}

async function run(
  store: Store,
  mode: Mode,
  xCount: number,
  setup: { capacities: number[]; cities: number[]; digits: number[] },
  commands: Command[],
): Promise<void> {
  const pool = `prop-${mode}`;
  const model = new PoolModel(mode);
  const numbers = Array.from({ length: xCount }, (_, i) => {
    const c = CITIES[setup.cities[i]!]!;
    return {
      x: phoneX(i),
      city: c.city,
      province: c.province,
      capacity: mode === "AX" ? 1 : setup.capacities[i]!,
      ...(mode === "AXE" ? { extensionDigits: setup.digits[i]! } : {}),
    };
  });
  let { generation } = await store.upsertPool(pool, mode, numbers);
  await store.finishRecovery(pool, generation);
  /** Fencing tokens only ever grow, across rebuilds too. */
  let lastToken = 0;
  for (const n of numbers) {
    model.numbers.set(n.x, {
      ...n,
      digits: n.extensionDigits,
      state: "active",
      quarantineUntilMs: 0,
      cooldownUntilMs: 0,
    });
  }
  let now = 1_000_000;
  let subs = 0;
  const fail = (step: number, what: string): never => {
    throw new Error(`step ${step} (${JSON.stringify(commands[step])}): ${what}`);
  };

  for (const [step, cmd] of commands.entries()) {
    switch (cmd.op) {
      case "reserve": {
        const byMode = forMode(model, cmd.req);
        const req = cmd.withOldB ? withOldB(model, byMode) : byMode;
        const expected = model.expect(req, now);
        const got = await store.reserve({
          pool,
          ...req,
          strategy: { name: req.strategy },
          leaseMs: LEASE_MS,
          nowMs: now,
        });
        if (expected.kind === "existing") {
          if (!got.ok || !got.existing || !sameEntry(got.entry, expected.entry)) {
            fail(step, `expected the existing entry, got ${JSON.stringify(got)}`);
          }
        } else if (expected.kind === "pick") {
          if (!got.ok || got.existing)
            fail(step, `expected a pick among ${[...expected.candidates]}, got ${JSON.stringify(got)}`);
          const entry = (got as { entry: Entry }).entry;
          if (!expected.candidates.has(entry.x)) {
            fail(step, `picked ${entry.x}, expected one of ${[...expected.candidates]}`);
          }
          if (entry.status !== "reserved" || entry.untilMs !== now + LEASE_MS || entry.a !== req.a) {
            fail(step, `bad reservation ${JSON.stringify(entry)}`);
          }
          if (
            expected.yFor !== undefined &&
            (entry.y === undefined || !expected.yFor(entry.x).has(entry.y))
          ) {
            fail(step, `Y ${entry.y}, expected one of ${[...expected.yFor(entry.x)]}`);
          }
          if (mode === "AXE") {
            const want =
              req.extension === undefined
                ? model.nextExtension(entry.x)
                : req.extension.padStart(model.numbers.get(entry.x)?.digits ?? 4, "0");
            if (entry.extension !== want) fail(step, `extension ${entry.extension}, expected ${want}`);
          }
          for (const e of model.entries.values())
            if (e.token === entry.token) fail(step, "fencing token reused");
          if (entry.token <= lastToken) fail(step, `token ${entry.token} is not above ${lastToken}`);
          lastToken = entry.token;
          model.entries.set(entry.orderKey, entry);
        } else if (got.ok || got.reason !== expected.kind) {
          fail(step, `expected ${expected.kind}, got ${JSON.stringify(got)}`);
        }
        break;
      }
      case "confirm": {
        const orderKey = cmd.onReserved ? aimAt(model, "reserved", cmd.orderKey) : cmd.orderKey;
        const e = model.entries.get(orderKey);
        const token = (e?.token ?? 0) + (cmd.wrongToken ? 1_000_000 : 0);
        const subscriptionId = e?.subscriptionId ?? `sub-${++subs}`;
        const untilMs = e?.status === "bound" ? e.untilMs : now + TTL_MS;
        const got = await store.confirm({
          pool,
          orderKey,
          token,
          subscriptionId,
          untilMs,
          nowMs: now,
        });
        let want: "ok" | "lost" = "lost";
        if (e !== undefined && e.token === token) {
          if (e.status === "bound") want = "ok";
          else if (e.status === "reserved" && e.untilMs > now) {
            want = "ok";
            model.entries.set(orderKey, { ...e, status: "bound", untilMs, subscriptionId });
          }
        }
        if (got !== want) fail(step, `confirm answered ${got}, expected ${want}`);
        break;
      }
      case "release": {
        const e = model.entries.get(cmd.orderKey);
        const got = await store.release(pool, cmd.orderKey, cmd.withToken ? e?.token : undefined);
        const want = e === undefined ? "unknown" : "released";
        if (got !== want) fail(step, `release answered ${got}, expected ${want}`);
        model.entries.delete(cmd.orderKey);
        break;
      }
      case "extend": {
        const e = model.entries.get(cmd.orderKey);
        const untilMs = now + 2 * TTL_MS;
        const got = await store.extend(pool, cmd.orderKey, e?.token ?? 0, untilMs);
        const want = e?.status === "bound" ? "ok" : "lost";
        if (got !== want) fail(step, `extend answered ${got}, expected ${want}`);
        if (e !== undefined && want === "ok") model.entries.set(cmd.orderKey, { ...e, untilMs });
        break;
      }
      case "markReleasing": {
        const e = model.entries.get(cmd.orderKey);
        const got = await store.markReleasing(pool, cmd.orderKey, e?.token ?? 0, now + LEASE_MS);
        const want = e === undefined ? "lost" : "ok";
        if (got !== want) fail(step, `markReleasing answered ${got}, expected ${want}`);
        if (e !== undefined)
          model.entries.set(cmd.orderKey, { ...e, status: "releasing", untilMs: now + LEASE_MS });
        break;
      }
      case "changeB": {
        const orderKey = cmd.onBound ? aimAt(model, "bound", cmd.orderKey) : cmd.orderKey;
        const e = model.entries.get(orderKey);
        const got = await store.changeB(pool, orderKey, e?.token ?? 0, cmd.b);
        const want = model.changeB(orderKey, e?.token ?? 0, cmd.b);
        if (got !== want) fail(step, `changeB answered ${got}, expected ${want}`);
        break;
      }
      case "settleB": {
        const orderKey = cmd.onBound ? aimAt(model, "bound", cmd.orderKey) : cmd.orderKey;
        const e = model.entries.get(orderKey);
        const named = { current: e?.b, previous: e?.previousB, other: cmd.other }[cmd.b] ?? cmd.other;
        const got = await store.settleB(pool, orderKey, e?.token ?? 0, named);
        const want = model.settleB(orderKey, e?.token ?? 0, named);
        if (got !== want) fail(step, `settleB answered ${got}, expected ${want}`);
        break;
      }
      case "sweep": {
        const got = await store.expired(pool, now, 100);
        const want = [...model.entries.values()].filter((e) => e.untilMs <= now);
        const key = (es: Entry[]) =>
          es
            .map((e) => `${e.orderKey}:${e.token}:${e.untilMs}`)
            .sort()
            .join(",");
        if (key(got) !== key(want)) fail(step, `expired listed [${key(got)}], expected [${key(want)}]`);
        for (let i = 1; i < got.length; i++) {
          if (got[i]!.untilMs < got[i - 1]!.untilMs) fail(step, "expired entries are not oldest first");
        }
        for (const e of got) {
          if ((await store.release(pool, e.orderKey, e.token)) !== "released")
            fail(step, "could not release");
          model.entries.delete(e.orderKey);
        }
        break;
      }
      case "advance":
        now += cmd.ms;
        break;
      case "quarantine": {
        const n = model.numbers.get(phoneX(cmd.xi))!;
        const until = cmd.forMs === undefined ? undefined : now + cmd.forMs;
        await store.setNumberState(pool, n.x, "quarantined", until);
        n.state = "quarantined";
        n.quarantineUntilMs = until ?? 0;
        break;
      }
      case "drain":
      case "activate": {
        const n = model.numbers.get(phoneX(cmd.xi))!;
        const state = cmd.op === "drain" ? "draining" : "active";
        await store.setNumberState(pool, n.x, state);
        n.state = state;
        n.quarantineUntilMs = 0;
        break;
      }
      case "cooldown": {
        const n = model.numbers.get(phoneX(cmd.xi))!;
        await store.cooldown(pool, n.x, now + cmd.forMs);
        n.cooldownUntilMs = Math.max(n.cooldownUntilMs, now + cmd.forMs);
        break;
      }
      case "rebuild": {
        const got = await store.upsertPool(pool, mode, numbers, { rebuild: true });
        if (!got.recovering || got.generation === generation)
          fail(step, `rebuild answered ${JSON.stringify(got)}`);
        generation = got.generation;
        model.recovering = true;
        break;
      }
      case "finishRecovery": {
        const got = await store.finishRecovery(pool, cmd.stale ? `${generation}-stale` : generation);
        if (got !== !cmd.stale) fail(step, `finishRecovery answered ${got}`);
        if (!cmd.stale) model.recovering = false;
        break;
      }
    }
    const problems = await invariantViolations(store, pool);
    if (problems.length > 0) fail(step, problems.join("; "));
  }
  const stored = (await store.entries(pool)).sort((p, q) => p.orderKey.localeCompare(q.orderKey));
  const modelled = [...model.entries.values()].sort((p, q) => p.orderKey.localeCompare(q.orderKey));
  if (stored.length !== modelled.length || stored.some((e, i) => !sameEntry(e, modelled[i]!))) {
    throw new Error(
      `final entries differ:\nstore ${JSON.stringify(stored)}\nmodel ${JSON.stringify(modelled)}`,
    );
  }
}
