import { expect, it } from "vitest";
import { A, B, C, D, type SuiteTools } from "./fixtures.js";
import { invariantViolations } from "./invariants.js";

/** The conformance cases of AXE mode: extensions behind X, one customer per X, adoption onto an extension. */
export function axeTests(t: SuiteTools): void {
  it("gives each AXE entry the lowest free extension of its X, padded, and frees it on release", async () => {
    const store = await t.setup("AXE", t.xs(1, { capacity: 3, extensionDigits: 3 }));
    const e1 = await t.pick(store, { orderKey: "o1", a: A, b: undefined });
    const e2 = await t.pick(store, { orderKey: "o2", a: B, b: undefined });
    expect([e1.extension, e2.extension, e1.b]).toEqual(["001", "002", undefined]);
    expect(await store.release("p", "o1", e1.token)).toBe("released");
    const e3 = await t.pick(store, { orderKey: "o3", a: C, b: undefined });
    const e4 = await t.pick(store, { orderKey: "o4", a: D, b: undefined });
    expect([e3.extension, e4.extension]).toEqual(["001", "003"]);
    // Capacity 3 reached: no fourth extension, whatever the extension space.
    const full = await t.reserve(store, { orderKey: "o5", a: "+8613800000005", b: undefined });
    expect(full).toEqual({ ok: false, reason: "exhausted" });
    expect(await store.get("p", "o4")).toMatchObject({ extension: "003" });
    expect(await invariantViolations(store, "p")).toEqual([]);
  });

  it("puts an AXE customer at most once on an X", async () => {
    const store = await t.setup("AXE", t.xs(2, { capacity: 200 }));
    const e1 = await t.pick(store, { orderKey: "o1", a: A, b: undefined });
    const e2 = await t.pick(store, { orderKey: "o2", a: A, b: undefined });
    expect(e2.x).not.toBe(e1.x);
    const third = await t.reserve(store, { orderKey: "o3", a: A, b: undefined });
    expect(third).toEqual({ ok: false, reason: "exhausted" });
  });

  it("adopts an AXE binding onto its own extension, and not onto one an entry holds", async () => {
    const store = await t.setup("AXE", t.xs(1, { capacity: 10, extensionDigits: 2 }));
    const x = t.xs(1)[0]!.x;
    const adopted = await t.pick(store, { orderKey: "o1", a: A, b: undefined, x, extension: "07" });
    expect(adopted.extension).toBe("07");
    const taken = await t.reserve(store, { orderKey: "o2", a: B, b: undefined, x, extension: "7" });
    expect(taken).toEqual({ ok: false, reason: "exhausted" });
    const next = await t.pick(store, { orderKey: "o3", a: C, b: undefined });
    expect(next.extension).toBe("01");
    expect(await invariantViolations(store, "p")).toEqual([]);
  });
}
