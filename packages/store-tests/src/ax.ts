import { expect, it } from "vitest";
import { A, B, type SuiteTools } from "./fixtures.js";

/** The conformance cases of AX mode: one A per X, at most 5 X per A. */
export function axTests(t: SuiteTools): void {
  it("gives one A one X and at most 5 X in AX mode", async () => {
    const store = await t.setup("AX", t.xs(7, { capacity: 1 }));
    const got = new Set<string>();
    for (let i = 1; i <= 5; i++) got.add((await t.pick(store, { orderKey: `o${i}`, a: A, b: undefined })).x);
    expect(got.size).toBe(5);
    expect(await t.reserve(store, { orderKey: "o6", a: A, b: undefined })).toEqual({
      ok: false,
      reason: "userLimit",
    });
    const other = await t.pick(store, { orderKey: "o7", a: B, b: undefined });
    expect(got.has(other.x)).toBe(false);
  });
}
