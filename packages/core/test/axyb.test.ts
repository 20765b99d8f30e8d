import { describe, expect, it } from "vitest";
import { type NumberConfig, PoolExhaustedError, StoreLostError, ValidationError } from "../src/index.js";
import { scriptedAllocator } from "./scripted-platform.js";

const N = [1, 2, 3, 4].map((i) => `+861990000000${i}`);
const rider = (i: number) => `+86138000${String(i).padStart(5, "0")}`;
const driver = (i: number) => `+86139000${String(i).padStart(5, "0")}`;

/** An AXYB pool "rides" on a MemoryStore and a scripted platform (one binding per number by default). */
function axyb(numbers: NumberConfig[] = N.map((x) => ({ x }))) {
  return scriptedAllocator({ pools: [{ id: "rides", mode: "AXYB", numbers }] }, []);
}
const order = (i: number) => ({
  pool: "rides",
  orderKey: `o${i}`,
  a: rider(i),
  b: driver(i),
  ttlSeconds: 600,
});

describe("AXYB allocation", () => {
  it("binds A to X and B to Y, two numbers of the pool, and frees both when the order completes", async () => {
    const { allocator, platform } = axyb();
    const b1 = await allocator.allocate(order(1));
    const b2 = await allocator.allocate(order(2));
    expect(new Set([b1.x, b1.y, b2.x, b2.y])).toEqual(new Set(N));
    const sent = [...platform.bindings.values()].map((r) => [r.mode, r.x, r.y, r.a, r.b]);
    expect(sent).toEqual([
      ["AXYB", b1.x, b1.y, rider(1), driver(1)],
      ["AXYB", b2.x, b2.y, rider(2), driver(2)],
    ]);
    expect(await allocator.get("o1")).toMatchObject({ x: b1.x, y: b1.y, status: "bound" });
    // Every number carries its one binding: nothing is left for a third order.
    await expect(allocator.allocate(order(3))).rejects.toBeInstanceOf(PoolExhaustedError);
    expect(await allocator.complete("o1")).toEqual({ status: "released" });
    const b3 = await allocator.allocate(order(3));
    expect(new Set([b3.x, b3.y])).toEqual(new Set([b1.x, b1.y]));
    expect(platform.bindings.size).toBe(2);
  });

  it("finds its own binding by (X, A, Y, B) when the bind's answer was lost", async () => {
    const { allocator, platform } = axyb();
    platform.timeoutAfterBind = 1;
    const b = await allocator.allocate(order(1));
    expect(b.y).toBeDefined();
    expect([...platform.bindings.keys()]).toEqual([b.subscriptionId]);
  });

  it("moves to other numbers when the platform says X is taken, leaving both out", async () => {
    const { allocator, platform } = axyb();
    // Someone took N[0] as an X outside bindpool.
    await platform.bind({
      mode: "AXYB",
      x: N[0]!,
      y: "+8619900000099",
      a: rider(9),
      b: driver(9),
      durationSeconds: 0,
    });
    const b = await allocator.allocate(order(1));
    expect(b.x).not.toBe(N[0]);
    expect(b.y).not.toBe(N[0]);
  });

  it("rebuilds lost orders onto their own X and Y", async () => {
    const { allocator, store } = axyb();
    const before = [await allocator.allocate(order(1)), await allocator.allocate(order(2))];
    await allocator.complete("o2");
    store.loseData();
    await expect(allocator.allocate(order(3))).rejects.toBeInstanceOf(StoreLostError);
    const after = await allocator.allocate(order(3));
    expect(await allocator.get("o1")).toMatchObject({ x: before[0]!.x, y: before[0]!.y, status: "bound" });
    expect(new Set([after.x, after.y])).toEqual(new Set([before[1]!.x, before[1]!.y]));
  });

  it("refuses an order without b, an extend, and a capacity over 5", async () => {
    const { allocator } = axyb();
    await expect(
      allocator.allocate({ pool: "rides", orderKey: "o1", a: rider(1), ttlSeconds: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await allocator.allocate(order(2));
    await expect(allocator.extend("o2", 1200)).rejects.toBeInstanceOf(ValidationError);
    expect(() => axyb([{ x: N[0]!, capacity: 6 }, { x: N[1]! }])).toThrow(/5 bindings/);
  });
});
