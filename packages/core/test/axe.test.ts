import { describe, expect, it } from "vitest";
import { type NumberConfig, PoolExhaustedError, StoreLostError, ValidationError } from "../src/index.js";
import { scriptedAllocator } from "./scripted-platform.js";

const X1 = "+8619900000001";
const X2 = "+8619900000002";
const customer = (i: number) => `+86138000${String(i).padStart(5, "0")}`;

/** An AXE pool "rides" on a MemoryStore and a scripted platform. */
function axe(numbers: NumberConfig[] = [{ x: X1, extensionDigits: 3 }]) {
  return scriptedAllocator({ pools: [{ id: "rides", mode: "AXE", numbers }] }, []);
}

describe("AXE allocation", () => {
  it("binds each customer behind X on its own extension and frees it when the order completes", async () => {
    const { allocator, platform } = axe();
    const b1 = await allocator.allocate({ pool: "rides", orderKey: "o1", a: customer(1), ttlSeconds: 600 });
    const b2 = await allocator.allocate({ pool: "rides", orderKey: "o2", a: customer(2), ttlSeconds: 600 });
    expect([b1.x, b1.extension, b2.extension, b1.b]).toEqual([X1, "001", "002", undefined]);
    const sent = [...platform.bindings.values()].map((r) => [r.mode, r.x, r.a, r.extension]);
    expect(sent).toEqual([
      ["AXE", X1, customer(1), "001"],
      ["AXE", X1, customer(2), "002"],
    ]);
    expect(await allocator.get("o1")).toMatchObject({ extension: "001", status: "bound" });

    const released: unknown[] = [];
    allocator.on("released", (e) => released.push(e));
    expect(await allocator.complete("o1")).toEqual({ status: "released" });
    expect(released).toEqual([
      { pool: "rides", orderKey: "o1", x: X1, extension: "001", reason: "complete" },
    ]);
    const b3 = await allocator.allocate({ pool: "rides", orderKey: "o3", a: customer(3), ttlSeconds: 600 });
    expect(b3.extension).toBe("001");
    expect(platform.bindings.size).toBe(2);
  });

  it("puts a customer's second live order on another X, so a call back reaches the right courier", async () => {
    const { allocator } = axe([{ x: X1 }, { x: X2 }]);
    const first = await allocator.allocate({
      pool: "rides",
      orderKey: "o1",
      a: customer(1),
      ttlSeconds: 600,
    });
    const second = await allocator.allocate({
      pool: "rides",
      orderKey: "o2",
      a: customer(1),
      ttlSeconds: 600,
    });
    expect(second.x).not.toBe(first.x);
    await expect(
      allocator.allocate({ pool: "rides", orderKey: "o3", a: customer(1), ttlSeconds: 600 }),
    ).rejects.toBeInstanceOf(PoolExhaustedError);
  });

  it("finds its own binding by (X, extension) when the bind's answer was lost", async () => {
    const { allocator, platform } = axe();
    platform.timeoutAfterBind = 1;
    const b = await allocator.allocate({ pool: "rides", orderKey: "o1", a: customer(1), ttlSeconds: 600 });
    expect(b.extension).toBe("001");
    expect(platform.bindings.size).toBe(1);
    expect([...platform.bindings.keys()]).toEqual([b.subscriptionId]);
  });

  it("fences a binding bindpool does not know off its extension and moves to the next one", async () => {
    const { allocator, platform } = axe();
    // Someone bound extension 001 of X1 outside bindpool.
    await platform.bind({ mode: "AXE", x: X1, a: customer(9), extension: "001", durationSeconds: 0 });
    const b = await allocator.allocate({ pool: "rides", orderKey: "o1", a: customer(1), ttlSeconds: 600 });
    expect(b.extension).toBe("002");
    const held = (await allocator.stats()).bound;
    expect(held).toBe(2); // the order and the fenced foreign binding
  });

  it("rebuilds lost orders onto their own extensions, listing X by cursor", async () => {
    const { allocator, platform, store } = axe([{ x: X1, extensionDigits: 4 }]);
    platform.pageSize = 2;
    const before = [];
    for (let i = 1; i <= 5; i++) {
      before.push(
        await allocator.allocate({ pool: "rides", orderKey: `o${i}`, a: customer(i), ttlSeconds: 600 }),
      );
    }
    await allocator.complete("o2"); // a hole at 0002
    store.loseData();
    const o6 = { pool: "rides", orderKey: "o6", a: customer(6), ttlSeconds: 600 };
    // The call that finds the loss changes nothing and says so; the next one runs on the rebuilt pool.
    await expect(allocator.allocate(o6)).rejects.toBeInstanceOf(StoreLostError);
    const after = await allocator.allocate(o6);
    for (const b of before.filter((b) => b.orderKey !== "o2")) {
      expect(await allocator.get(b.orderKey)).toMatchObject({ extension: b.extension, x: X1 });
    }
    // The new order gets the one free extension below the adopted ones, not one of theirs.
    expect(after.extension).toBe("0002");
    const queried = platform.calls.filter((c) => c === "query").length;
    expect(queried).toBeGreaterThanOrEqual(2); // more than one page was read
  });

  it("refuses a b number, extensions on another mode, and more capacity than extensions", async () => {
    const { allocator } = axe();
    await expect(
      allocator.allocate({ pool: "rides", orderKey: "o1", a: customer(1), b: customer(2), ttlSeconds: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(() => axe([{ x: X1, extensionDigits: 1, capacity: 10 }])).toThrow(/9 extensions/);
    expect(() =>
      scriptedAllocator({ pools: [{ id: "r", mode: "AXB", numbers: [{ x: X1, extensionDigits: 2 }] }] }, []),
    ).toThrow(/only AXE numbers have extensions/);
  });
});
