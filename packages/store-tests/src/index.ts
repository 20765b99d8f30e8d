import type { Mode, ReserveRequest, Store, StoredNumber } from "@bindpool/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { axTests } from "./ax.js";
import { axeTests } from "./axe.js";
import { axybTests } from "./axyb.js";
import { changeBTests } from "./change-b.js";
import { A, B, C, D, reserveRequest, type SuiteTools, T0 } from "./fixtures.js";
import { generationTests } from "./generation.js";
import { invariantViolations } from "./invariants.js";
import { modelProperty } from "./property.js";

export { invariantViolations } from "./invariants.js";
export { type Expectation, type ModelNumber, type ModelReserve, PoolModel } from "./model.js";

export interface StoreConformanceOptions {
  /** Shown in the test names. */
  readonly name: string;
  /** A fresh, empty store (called once per test and once per property run). */
  readonly create: () => Promise<Store>;
  /** Frees what `create` made. */
  readonly teardown?: (store: Store) => Promise<void>;
  /** Another store object on the same data as `store`, as a second process would have (freed with it). */
  readonly connect: (store: Store) => Promise<Store>;
  /**
   * Loses all data of `store` as a restart without persistence would (Redis: FLUSHALL, or a restart
   * without AOF); the store objects stay and must notice.
   */
  readonly loseData: (store: Store) => Promise<void>;
  /** Property runs per mode. @default 60 */
  readonly propertyRuns?: number;
}

const xs = (n: number, extra: Partial<StoredNumber> = {}): StoredNumber[] =>
  Array.from({ length: n }, (_, i) => ({
    x: `+8619900000${String(i).padStart(3, "0")}`,
    capacity: 5000,
    ...extra,
  }));

/**
 * Registers the conformance tests every `Store` must pass: the semantics documented on `Store`, and a
 * model-based property test (fast-check) of random reserve/confirm/release/expire/quarantine sequences.
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const made: Store[] = [];
  const fresh = async (): Promise<Store> => {
    const s = await options.create();
    made.push(s);
    return s;
  };
  const done = async (s: Store) => {
    await options.teardown?.(s);
  };

  describe(`${options.name} conforms to the Store contract`, () => {
    afterEach(async () => {
      for (const s of made.splice(0)) await done(s);
    });

    // A new pool is recovering until finishRecovery (see the generation tests); these test the rest.
    const setup = async (mode: Mode, numbers: StoredNumber[]) => {
      const store = await fresh();
      const { generation } = await store.upsertPool("p", mode, numbers);
      await store.finishRecovery("p", generation);
      return store;
    };
    const req = reserveRequest;
    const pick = async (store: Store, over: Partial<ReserveRequest>) => {
      const r = await store.reserve(req(over));
      if (!r.ok) throw new Error(`expected a reservation, got ${r.reason}`);
      return r.entry;
    };
    const tools: SuiteTools = { setup, pick, reserve: (store, over) => store.reserve(req(over)), xs, t0: T0 };

    it("reserves an X with a lease and a fencing token, then confirms it into a binding", async () => {
      const store = await setup("AXB", xs(2));
      const e = await pick(store, {});
      expect(e).toMatchObject({
        pool: "p",
        orderKey: "o1",
        a: A,
        b: B,
        status: "reserved",
        untilMs: T0 + 1_000,
      });
      const ok = await store.confirm({
        pool: "p",
        orderKey: "o1",
        token: e.token,
        subscriptionId: "s1",
        untilMs: T0 + 60_000,
        nowMs: T0 + 10,
      });
      expect(ok).toBe("ok");
      expect(await store.get("p", "o1")).toMatchObject({
        status: "bound",
        subscriptionId: "s1",
        untilMs: T0 + 60_000,
      });
    });

    it("never puts a user number twice on one X (AXB)", async () => {
      const store = await setup("AXB", xs(2));
      const first = await pick(store, { orderKey: "o1", a: A, b: B });
      const second = await pick(store, { orderKey: "o2", a: A, b: C });
      expect(second.x).not.toBe(first.x);
      const third = await pick(store, { orderKey: "o3", a: D, b: B });
      expect(third.x).not.toBe(first.x);
      expect(await store.reserve(req({ orderKey: "o4", a: A, b: D }))).toEqual({
        ok: false,
        reason: "exhausted",
      });
    });

    it("never puts an X over its capacity", async () => {
      const store = await setup("AXB", xs(1, { capacity: 2 }));
      await pick(store, { orderKey: "o1", a: A, b: B });
      await pick(store, { orderKey: "o2", a: C, b: D });
      const r = await store.reserve(req({ orderKey: "o3", a: "+8613800000005", b: "+8613800000006" }));
      expect(r).toEqual({ ok: false, reason: "exhausted" });
    });

    axTests(tools);
    axeTests(tools);
    axybTests(tools);

    it("answers a repeated orderKey with its existing entry and changes nothing", async () => {
      const store = await setup("AXB", xs(3));
      const e = await pick(store, {});
      const again = await store.reserve(req({ a: C, b: D }));
      expect(again).toEqual({ ok: true, entry: e, existing: true });
      expect((await store.stats("p", T0)).reserved).toBe(1);
    });

    it("refuses confirm with a wrong token or after the lease ended, and release with a wrong token", async () => {
      const store = await setup("AXB", xs(2));
      const e = await pick(store, {});
      const confirm = (token: number, nowMs: number) =>
        store.confirm({ pool: "p", orderKey: "o1", token, subscriptionId: "s", untilMs: T0 + 9_000, nowMs });
      expect(await confirm(e.token + 1, T0)).toBe("lost");
      expect(await confirm(e.token, T0 + 1_000)).toBe("lost");
      expect(await store.release("p", "o1", e.token + 1)).toBe("lost");
      expect(await store.release("p", "o1", e.token)).toBe("released");
      expect(await store.release("p", "o1")).toBe("unknown");
      expect(await confirm(e.token, T0)).toBe("lost");
    });

    it("frees the slot on release so the same users can use that X again", async () => {
      const store = await setup("AXB", xs(1));
      const e = await pick(store, {});
      expect(await store.reserve(req({ orderKey: "o2" }))).toEqual({ ok: false, reason: "exhausted" });
      await store.release("p", "o1", e.token);
      expect((await pick(store, { orderKey: "o2" })).x).toBe(e.x);
    });

    it("keeps excluded, cooling, quarantined and draining X out of picks", async () => {
      const store = await setup("AXB", xs(4));
      const [x0, x1, x2, x3] = xs(4).map((n) => n.x) as [string, string, string, string];
      await store.cooldown("p", x1, T0 + 500);
      await store.setNumberState("p", x2, "quarantined");
      await store.setNumberState("p", x3, "draining");
      expect((await pick(store, { orderKey: "o1" })).x).toBe(x0);
      expect(await store.reserve(req({ orderKey: "o2", a: C, b: D, exclude: [x0] }))).toEqual({
        ok: false,
        reason: "exhausted",
      });
      expect((await pick(store, { orderKey: "o3", a: C, b: D, exclude: [x0], nowMs: T0 + 500 })).x).toBe(x1);
      await store.setNumberState("p", x2, "active");
      expect((await pick(store, { orderKey: "o4", a: C, b: D, exclude: [x0, x1] })).x).toBe(x2);
    });

    it("lifts a timed quarantine at its end", async () => {
      const store = await setup("AXB", xs(1));
      await store.setNumberState("p", xs(1)[0]!.x, "quarantined", T0 + 100);
      expect((await store.reserve(req({ nowMs: T0 + 99 }))).ok).toBe(false);
      expect((await store.reserve(req({ nowMs: T0 + 100 }))).ok).toBe(true);
    });

    it("spreads pairs with leastLoaded and fills one X first with pack", async () => {
      const spread = await setup("AXB", xs(3));
      const users = Array.from({ length: 12 }, (_, i) => `+861370000${String(i).padStart(4, "0")}`);
      const spreadX = new Set<string>();
      for (let i = 0; i < 3; i++) {
        spreadX.add((await pick(spread, { orderKey: `o${i}`, a: users[2 * i], b: users[2 * i + 1] })).x);
      }
      expect(spreadX.size).toBe(3);
      const packed = await setup("AXB", xs(3));
      const packedX = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const strategy = { name: "pack" } as const;
        packedX.add(
          (await pick(packed, { orderKey: `o${i}`, a: users[2 * i], b: users[2 * i + 1], strategy })).x,
        );
      }
      expect(packedX.size).toBe(1);
    });

    it("gives a pair the X it used before when that X can take it (sticky), else picks as usual", async () => {
      const store = await setup("AXB", xs(3));
      const users = Array.from({ length: 6 }, (_, i) => `+861370000${String(i).padStart(4, "0")}`);
      // Load the first two X, so leastLoaded alone would pick the third.
      await pick(store, { orderKey: "load1", a: users[0], b: users[1] });
      await pick(store, { orderKey: "load2", a: users[2], b: users[3] });
      const [x1, x2, x3] = xs(3).map((n) => n.x);
      const loaded = [(await store.get("p", "load1"))!.x, (await store.get("p", "load2"))!.x];
      const sticky = loaded[0]!;
      expect((await pick(store, { orderKey: "o1", preferX: sticky })).x).toBe(sticky);
      // Not eligible: A already holds it now, or it is excluded, cooling or draining: the strategy picks.
      expect((await pick(store, { orderKey: "o2", b: C, preferX: sticky })).x).not.toBe(sticky);
      expect(
        (await pick(store, { orderKey: "o3", a: D, b: users[4], preferX: loaded[1], exclude: [loaded[1]!] }))
          .x,
      ).not.toBe(loaded[1]);
      await store.cooldown("p", sticky, T0 + 1_000);
      expect(
        (await pick(store, { orderKey: "o4", a: users[5], b: "+8613900000009", preferX: sticky })).x,
      ).not.toBe(sticky);
      // Unknown X: ignored.
      expect([x1, x2, x3]).toContain(
        (
          await pick(store, {
            orderKey: "o5",
            a: "+8613900000010",
            b: "+8613900000011",
            preferX: "+8619999999999",
          })
        ).x,
      );
    });

    it("matches the area strictly, or climbs the ladder city, province, any", async () => {
      const store = await setup("AXB", [
        { x: "+8675500000001", city: "0755", province: "GD", capacity: 1 },
        { x: "+862000000001", city: "020", province: "GD", capacity: 1 },
        { x: "+861000000001", city: "010", province: "BJ", capacity: 1 },
      ]);
      const users = (i: number) => ({ a: `+86137000000${i}0`, b: `+86137000000${i}1` });
      const strict = { city: "0755", match: "strict" } as const;
      const ladder = { city: "0755", match: "ladder" } as const;
      expect((await pick(store, { orderKey: "o1", ...users(1), area: strict })).x).toBe("+8675500000001");
      expect(await store.reserve(req({ orderKey: "o2", ...users(2), area: strict }))).toEqual({
        ok: false,
        reason: "exhausted",
      });
      expect((await pick(store, { orderKey: "o3", ...users(3), area: ladder })).x).toBe("+862000000001");
      expect((await pick(store, { orderKey: "o4", ...users(4), area: ladder })).x).toBe("+861000000001");
    });

    it("lists ended leases and ended orders oldest first, and extend moves an order's end", async () => {
      const store = await setup("AXB", xs(3));
      const r1 = await pick(store, { orderKey: "o1", a: A, b: B, nowMs: T0 });
      const r2 = await pick(store, { orderKey: "o2", a: C, b: D, nowMs: T0 + 10 });
      const r3 = await pick(store, {
        orderKey: "o3",
        a: "+8613800000005",
        b: "+8613800000006",
        nowMs: T0 + 20,
      });
      await store.confirm({
        pool: "p",
        orderKey: "o2",
        token: r2.token,
        subscriptionId: "s2",
        untilMs: T0 + 50,
        nowMs: T0 + 11,
      });
      await store.confirm({
        pool: "p",
        orderKey: "o3",
        token: r3.token,
        subscriptionId: "s3",
        untilMs: T0 + 60,
        nowMs: T0 + 21,
      });
      expect((await store.expired("p", T0 + 100, 10)).map((e) => e.orderKey)).toEqual(["o2", "o3"]);
      expect(await store.extend("p", "o2", r2.token, T0 + 5_000)).toBe("ok");
      expect(await store.extend("p", "o1", r1.token, T0 + 5_000)).toBe("lost");
      expect((await store.expired("p", T0 + 1_000, 10)).map((e) => e.orderKey)).toEqual(["o3", "o1"]);
      expect((await store.expired("p", T0 + 1_000, 1)).map((e) => e.orderKey)).toEqual(["o3"]);
    });

    it("keeps a number's load when the pool is upserted again, and refuses a change of mode", async () => {
      const store = await setup("AXB", xs(1, { capacity: 1 }));
      await pick(store, {});
      await store.upsertPool("p", "AXB", xs(2, { capacity: 1 }));
      const loads = await store.numbers("p");
      expect(loads.map((n) => n.load).sort()).toEqual([0, 1]);
      await expect(store.upsertPool("p", "AX", xs(1))).rejects.toThrow(/AXB/);
    });

    it("keeps X and the users held while an unbind is pending (releasing), then frees them", async () => {
      const store = await setup("AXB", xs(1));
      const e = await pick(store, {});
      expect(await store.markReleasing("p", "o1", e.token + 1, T0 + 500)).toBe("lost");
      expect(await store.markReleasing("p", "o1", e.token, T0 + 500)).toBe("ok");
      expect(await store.get("p", "o1")).toMatchObject({ status: "releasing", untilMs: T0 + 500 });
      expect(await store.reserve(req({ orderKey: "o2", a: A, b: C }))).toEqual({
        ok: false,
        reason: "exhausted",
      });
      const confirm = await store.confirm({
        pool: "p",
        orderKey: "o1",
        token: e.token,
        subscriptionId: "s",
        untilMs: T0 + 9_000,
        nowMs: T0,
      });
      expect(confirm).toBe("lost");
      expect((await store.expired("p", T0 + 500, 10)).map((x) => x.orderKey)).toEqual(["o1"]);
      expect(await store.release("p", "o1", e.token)).toBe("released");
      expect((await pick(store, { orderKey: "o2", a: A, b: C })).x).toBe(e.x);
    });

    it("lists an entry once when its unbind retry falls on its lease's end", async () => {
      const store = await setup("AXB", xs(1));
      const e = await pick(store, {});
      expect(await store.markReleasing("p", "o1", e.token, e.untilMs)).toBe("ok");
      expect((await store.expired("p", e.untilMs, 10)).map((x) => x.orderKey)).toEqual(["o1"]);
    });

    it("adopts a reservation whose lease ended, and reserves a named X within the rules", async () => {
      const store = await setup("AXB", xs(2, { capacity: 1 }));
      const [x0, x1] = xs(2).map((n) => n.x) as [string, string];
      await store.setNumberState("p", x1, "quarantined");
      const forced = await pick(store, { orderKey: "o1", x: x1 });
      expect(forced.x).toBe(x1);
      expect(await store.reserve(req({ orderKey: "o2", a: C, b: D, x: x1 }))).toEqual({
        ok: false,
        reason: "exhausted",
      });
      const late = {
        pool: "p",
        orderKey: "o1",
        token: forced.token,
        subscriptionId: "s1",
        untilMs: T0 + 9_000,
        nowMs: T0 + 5_000,
      };
      expect(await store.confirm(late)).toBe("lost");
      expect(await store.confirm({ ...late, adopt: true })).toBe("ok");
      expect((await pick(store, { orderKey: "o3", a: C, b: D })).x).toBe(x0);
    });

    changeBTests(tools);

    it("swaps the entries of two orderKeys", async () => {
      const store = await setup("AXB", xs(2));
      const e1 = await pick(store, { orderKey: "o1", a: A, b: B });
      const e2 = await pick(store, { orderKey: "o2", a: A, b: C });
      expect(await store.swap("p", "o1", "nope")).toBe("unknown");
      expect(await store.swap("p", "o1", "o2")).toBe("ok");
      expect(await store.get("p", "o1")).toMatchObject({ x: e2.x, b: C, token: e2.token, orderKey: "o1" });
      expect(await store.get("p", "o2")).toMatchObject({ x: e1.x, b: B, token: e1.token, orderKey: "o2" });
      expect(await store.release("p", "o2", e1.token)).toBe("released");
      expect(await invariantViolations(store, "p")).toEqual([]);
    });

    it("keeps every invariant under 200 concurrent reserves on a small pool", async () => {
      const store = await setup("AXB", xs(5, { capacity: 7 }));
      const users = Array.from({ length: 20 }, (_, i) => `+861370000${String(i).padStart(4, "0")}`);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.reserve(
            req({
              orderKey: `c${i}`,
              a: users[i % 20],
              b: users[(i * 7 + 3) % 20] === users[i % 20] ? users[(i + 1) % 20] : users[(i * 7 + 3) % 20],
            }),
          ),
        ),
      );
      expect(await invariantViolations(store, "p")).toEqual([]);
      const stats = await store.stats("p", T0);
      expect(stats.reserved).toBe(results.filter((r) => r.ok).length);
      expect(stats.reserved).toBeGreaterThan(0);
    });

    describe("knows when it is not the store it was (generation)", () => {
      generationTests({ fresh, connect: options.connect, loseData: options.loseData });
    });

    for (const mode of ["AXB", "AX", "AXE", "AXYB"] as const) {
      it(`agrees with the reference model on random ${mode} sequences`, async () => {
        await fc.assert(modelProperty(mode, options.create, done), { numRuns: options.propertyRuns ?? 60 });
      }, 120_000);
    }
  });
}
