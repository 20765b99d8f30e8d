import { expect, it } from "vitest";
import { A, B, C, D, type SuiteTools } from "./fixtures.js";
import { invariantViolations } from "./invariants.js";

/** The conformance cases of AXYB mode: X and Y reserved together, each counted and kept free of repeated users. */
export function axybTests(t: SuiteTools): void {
  it("reserves X and Y for an AXYB pair in one step, holds both, and frees both on release", async () => {
    const store = await t.setup("AXYB", t.xs(2, { capacity: 5 }));
    const e = await t.pick(store, { orderKey: "o1", a: A, b: B });
    expect(e.y).toBeDefined();
    expect(e.y).not.toBe(e.x);
    expect(e.b).toBe(B);
    expect((await store.numbers("p")).map((n) => n.load)).toEqual([1, 1]);
    expect(await store.get("p", "o1")).toMatchObject({ x: e.x, y: e.y, a: A, b: B });
    expect(await invariantViolations(store, "p")).toEqual([]);
    expect(await store.release("p", "o1", e.token)).toBe("released");
    expect((await store.numbers("p")).map((n) => n.load)).toEqual([0, 0]);
    // A and B are free on both numbers again.
    await t.pick(store, { orderKey: "o2", a: A, b: B });
  });

  it("puts A and B at most once on each AXYB number, and reserves nothing when no Y fits", async () => {
    const store = await t.setup("AXYB", t.xs(3, { capacity: 5 }));
    const first = await t.pick(store, { orderKey: "o1", a: A, b: B });
    // Only one number is free of A: an X but no Y.
    const before = await store.numbers("p");
    expect(await t.reserve(store, { orderKey: "o2", a: A, b: C })).toEqual({
      ok: false,
      reason: "exhausted",
    });
    expect(await store.numbers("p")).toEqual(before);
    const other = await t.pick(store, { orderKey: "o3", a: C, b: D });
    expect(new Set([other.x, other.y]).size).toBe(2);
    expect(await invariantViolations(store, "p")).toEqual([]);
    expect([first.x, first.y]).not.toContain(undefined);
  });

  it("counts an AXYB binding against the capacity of X and of Y", async () => {
    const store = await t.setup("AXYB", t.xs(3, { capacity: 1 }));
    await t.pick(store, { orderKey: "o1", a: A, b: B });
    expect(await t.reserve(store, { orderKey: "o2", a: C, b: D })).toEqual({
      ok: false,
      reason: "exhausted",
    });
  });

  it("adopts an AXYB binding onto its own X and Y, and only when both fit", async () => {
    const store = await t.setup("AXYB", t.xs(3, { capacity: 5 }));
    const [n0, n1, n2] = t.xs(3).map((n) => n.x);
    const noY = await t.reserve(store, { orderKey: "o1", a: A, b: B, x: n0 });
    expect(noY).toEqual({ ok: false, reason: "exhausted" });
    const same = await t.reserve(store, { orderKey: "o1", a: A, b: B, x: n0, y: n0 });
    expect(same).toEqual({ ok: false, reason: "exhausted" });
    const adopted = await t.pick(store, { orderKey: "o1", a: A, b: B, x: n2, y: n0 });
    expect([adopted.x, adopted.y]).toEqual([n2, n0]);
    // B is on n0 already: a binding naming n0 as the X of B's next pair does not fit.
    const taken = await t.reserve(store, { orderKey: "o2", a: C, b: B, x: n0, y: n1 });
    expect(taken).toEqual({ ok: false, reason: "exhausted" });
    expect(await invariantViolations(store, "p")).toEqual([]);
  });
}
