import type { StoredNumber } from "@bindpool/core";
import { expect, it } from "vitest";
import type { SuiteTools } from "./fixtures.js";
import { invariantViolations } from "./invariants.js";

const A = "+8613700000001";
const B = "+8613700000002";
const C = "+8613700000003";
const D = "+8613700000004";
const E = "+8613700000005";
const F = "+8613700000006";

/**
 * `changeB` / `settleB`: a reassign by the platform's modify holds the old and the new B on X until the
 * platform has answered, so no other pair gets X with either (the platform would refuse it, 1012010).
 */
export function changeBTests(t: SuiteTools): void {
  /** Pool "p" with order o1 (A, B) bound on the first X. */
  const bound = async (numbers: StoredNumber[]) => {
    const store = await t.setup("AXB", numbers);
    const e = await t.pick(store, { orderKey: "o1", a: A, b: B, x: numbers[0]!.x });
    const confirmed = await store.confirm({
      pool: "p",
      orderKey: "o1",
      token: e.token,
      subscriptionId: "s1",
      untilMs: t.t0 + 60_000,
      nowMs: t.t0,
    });
    expect(confirmed).toBe("ok");
    return { store, e };
  };

  it("answers changeB with lost before the entry is bound and conflict for A or a B already on X", async () => {
    const store = await t.setup("AXB", t.xs(1));
    const e1 = await t.pick(store, { orderKey: "o1", a: A, b: B });
    await t.pick(store, { orderKey: "o2", a: C, b: D });
    expect(await store.changeB("p", "o1", e1.token, E)).toBe("lost"); // not bound yet
    const confirm = { pool: "p", orderKey: "o1", token: e1.token, subscriptionId: "s1", nowMs: t.t0 };
    expect(await store.confirm({ ...confirm, untilMs: t.t0 + 9_000 })).toBe("ok");
    expect(await store.changeB("p", "o1", e1.token + 1, E)).toBe("lost");
    expect(await store.changeB("p", "o1", e1.token, D)).toBe("conflict");
    expect(await store.changeB("p", "o1", e1.token, C)).toBe("conflict");
    expect(await store.changeB("p", "o1", e1.token, A)).toBe("conflict");
    expect(await store.changeB("p", "o1", e1.token, B)).toBe("ok"); // already its B: nothing pending
    expect((await store.get("p", "o1"))?.previousB).toBeUndefined();
    expect(await store.settleB("p", "o1", e1.token, B)).toBe("ok");
  });

  it("holds the old B on X while the modify is pending: a pair with it gets another X", async () => {
    const numbers = t.xs(2);
    const { store, e } = await bound(numbers);
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.get("p", "o1")).toMatchObject({ b: C, previousB: B, status: "bound", x: e.x });
    expect((await t.pick(store, { orderKey: "o2", a: D, b: B, preferX: e.x })).x).toBe(numbers[1]!.x);
    expect((await t.pick(store, { orderKey: "o3", a: E, b: C, preferX: e.x })).x).toBe(numbers[1]!.x);
    // One binding, one slot: the held old B does not count as load.
    expect((await store.numbers("p")).find((n) => n.x === e.x)?.load).toBe(1);
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("answers exhausted for a pair with the old B when its X is the only one, until settleB keeps the new B", async () => {
    const { store, e } = await bound(t.xs(1));
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await t.reserve(store, { orderKey: "o2", a: D, b: B })).toEqual({
      ok: false,
      reason: "exhausted",
    });
    expect(await t.reserve(store, { orderKey: "o2", a: D, b: C })).toEqual({
      ok: false,
      reason: "exhausted",
    });
    expect(await store.settleB("p", "o1", e.token, C)).toBe("ok");
    const settled = await store.get("p", "o1");
    expect(settled).toMatchObject({ b: C, status: "bound", subscriptionId: "s1" });
    expect(settled?.previousB).toBeUndefined();
    expect((await t.pick(store, { orderKey: "o2", a: D, b: B })).x).toBe(e.x); // the old B is free again
    expect(await t.reserve(store, { orderKey: "o3", a: E, b: C })).toEqual({
      ok: false,
      reason: "exhausted",
    });
    expect(await store.settleB("p", "o1", e.token, C)).toBe("ok"); // settled already: the same answer
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("keeps the old B and frees the new one when settleB names the old (the modify was refused)", async () => {
    const { store, e } = await bound(t.xs(1));
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.settleB("p", "o1", e.token, B)).toBe("ok");
    const settled = await store.get("p", "o1");
    expect(settled).toMatchObject({ b: B, status: "bound" });
    expect(settled?.previousB).toBeUndefined();
    expect((await t.pick(store, { orderKey: "o2", a: D, b: C })).x).toBe(e.x);
    expect(await t.reserve(store, { orderKey: "o3", a: E, b: B })).toEqual({
      ok: false,
      reason: "exhausted",
    });
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("answers settleB with lost for a wrong token, a B the entry does not have, or an entry not bound", async () => {
    const { store, e } = await bound(t.xs(2));
    expect(await store.settleB("p", "o1", e.token, C)).toBe("lost"); // nothing pending, not its B
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.settleB("p", "o1", e.token + 1, C)).toBe("lost");
    expect(await store.settleB("p", "o1", e.token, D)).toBe("lost");
    expect(await store.settleB("p", "o1", e.token, A)).toBe("lost");
    expect(await store.settleB("p", "nope", e.token, C)).toBe("lost");
    const r = await t.pick(store, { orderKey: "o2", a: E, b: F });
    expect(await store.settleB("p", "o2", r.token, F)).toBe("lost"); // reserved, not bound
    expect(await store.get("p", "o1")).toMatchObject({ b: C, previousB: B }); // still pending
  });

  it("swaps the two Bs on a second changeB back to the old B and refuses a third B while one is pending", async () => {
    const { store, e } = await bound(t.xs(1));
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok"); // the same B again: nothing changes
    expect(await store.get("p", "o1")).toMatchObject({ b: C, previousB: B });
    expect(await store.changeB("p", "o1", e.token, D)).toBe("conflict");
    expect(await store.get("p", "o1")).toMatchObject({ b: C, previousB: B });
    expect(await store.changeB("p", "o1", e.token, B)).toBe("ok");
    expect(await store.get("p", "o1")).toMatchObject({ b: B, previousB: C });
    for (const b of [B, C]) {
      expect(await t.reserve(store, { orderKey: "o2", a: D, b })).toEqual({ ok: false, reason: "exhausted" });
    }
    expect(await store.settleB("p", "o1", e.token, B)).toBe("ok");
    expect((await t.pick(store, { orderKey: "o2", a: D, b: C })).x).toBe(e.x);
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("frees both Bs when a pending entry is released", async () => {
    const { store, e } = await bound(t.xs(1, { capacity: 2 }));
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.release("p", "o1", e.token)).toBe("released");
    expect((await t.pick(store, { orderKey: "o2", a: D, b: B })).x).toBe(e.x);
    expect((await t.pick(store, { orderKey: "o3", a: E, b: C })).x).toBe(e.x);
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("keeps the old B held through markReleasing, extend, expiry listing and swap", async () => {
    const { store, e } = await bound(t.xs(1));
    expect(await store.changeB("p", "o1", e.token, C)).toBe("ok");
    expect(await store.extend("p", "o1", e.token, t.t0 + 90_000)).toBe("ok");
    expect(await store.get("p", "o1")).toMatchObject({ b: C, previousB: B, untilMs: t.t0 + 90_000 });
    expect(await store.markReleasing("p", "o1", e.token, t.t0 + 500)).toBe("ok");
    expect(await store.expired("p", t.t0 + 500, 10)).toEqual([
      expect.objectContaining({ orderKey: "o1", b: C, previousB: B, status: "releasing" }),
    ]);
    expect(await store.entries("p")).toEqual([expect.objectContaining({ orderKey: "o1", previousB: B })]);
    expect(await store.settleB("p", "o1", e.token, C)).toBe("lost"); // no longer bound: both stay held
    expect(await t.reserve(store, { orderKey: "o2", a: D, b: B })).toEqual({
      ok: false,
      reason: "exhausted",
    });

    // swap: the order moves to another key with both Bs; releasing that key frees both.
    const other = await t.setup("AXB", t.xs(2));
    const x0 = t.xs(2)[0]!.x;
    const p1 = await t.pick(other, { orderKey: "o1", a: A, b: B, x: x0 });
    const sub = { pool: "p", orderKey: "o1", token: p1.token, subscriptionId: "s1", nowMs: t.t0 };
    expect(await other.confirm({ ...sub, untilMs: t.t0 + 9_000 })).toBe("ok");
    expect(await other.changeB("p", "o1", p1.token, C)).toBe("ok");
    await t.pick(other, { orderKey: "tmp", a: A, b: D });
    expect(await other.swap("p", "o1", "tmp")).toBe("ok");
    expect(await other.get("p", "tmp")).toMatchObject({ x: x0, b: C, previousB: B, token: p1.token });
    expect((await other.get("p", "o1"))?.previousB).toBeUndefined();
    expect(await other.settleB("p", "tmp", p1.token, C)).toBe("ok");
    expect((await t.pick(other, { orderKey: "o2", a: E, b: B, x: x0 })).x).toBe(x0);
    expect(await other.release("p", "tmp", p1.token)).toBe("released");
    expect(await invariantViolations(other, "p")).toEqual([]);
  });
}
