import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Allocator, BindpoolError, MemoryStore } from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const numbers = [{ x: "+8619900000001" }, { x: "+8619900000002" }];

/** Any JSON-ish value, including the shapes callers get wrong: numbers as strings, nulls, nested junk. */
const junk = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.record({
    pool: fc.oneof(fc.constant("p"), fc.string(), fc.integer()),
    orderKey: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.constant(null)),
    a: fc.oneof(fc.constant("+8613800000001"), fc.string(), fc.integer()),
    b: fc.oneof(
      fc.constant("+8613800000001"),
      fc.constant("+8613800000002"),
      fc.string(),
      fc.constant(undefined),
    ),
    ttlSeconds: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(-1), fc.constant(0)),
    area: fc.anything({ maxDepth: 1 }),
  }),
);

describe("public API under bad input", () => {
  it("answers every malformed call with a typed error and changes nothing in the store", async () => {
    const store = new MemoryStore();
    const platform = new ScriptedPlatform();
    const allocator = new Allocator({ store, driver: platform, pools: [{ id: "p", mode: "AXB", numbers }] });
    await allocator.init();
    const valid = { pool: "p", orderKey: "keep", a: "+8613800000009", b: "+8613800000008", ttlSeconds: 60 };
    await allocator.allocate(valid);
    const before = JSON.stringify(await store.entries("p"));

    await fc.assert(
      fc.asyncProperty(junk, fc.anything({ maxDepth: 1 }), async (input, other) => {
        const calls = [
          () => allocator.allocate(input as never),
          () => allocator.complete(other as never),
          () => allocator.extend(other as never, other as never),
          () => allocator.reassign("keep", other as never),
          () => allocator.setNumberState(other as never, other as never),
        ];
        for (const call of calls) {
          try {
            await call();
          } catch (error) {
            expect(error).toBeInstanceOf(BindpoolError);
            expect((error as BindpoolError).code).toMatch(/^BINDPOOL_/);
          }
        }
      }),
      { numRuns: 300 },
    );
    // Junk that happens to be a valid request may bind; everything else must have left the store alone.
    const after = (await store.entries("p")).filter((e) => e.orderKey !== "keep");
    for (const e of after) await allocator.complete(e.orderKey);
    expect(JSON.stringify(await store.entries("p"))).toBe(before);
    expect(await allocator.allocate(valid)).toMatchObject({ orderKey: "keep" }); // still serving
  });
});
