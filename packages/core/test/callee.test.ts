import { describe, expect, it } from "vitest";
import { Allocator, type CalleeRequest, MemoryStore, type Mode, type Outcome } from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const A = "+8613800000001";
const CUSTOMER = "+8613900000002";
const X = "+8619900000000";

/** A platform that also keeps temporary callees (AX). */
class CalleePlatform extends ScriptedPlatform {
  readonly callees: CalleeRequest[] = [];
  async setCallee(req: CalleeRequest): Promise<Outcome<void>> {
    this.calls.push(`setCallee ${req.subscriptionId}`);
    this.callees.push(req);
    return { kind: "ok", value: undefined };
  }
}

function setup(mode: Mode, platform: ScriptedPlatform = new CalleePlatform()) {
  let now = 1_000_000;
  const allocator = new Allocator({
    store: new MemoryStore(),
    driver: platform,
    pools: [{ id: "couriers", mode, numbers: [{ x: X }] }],
    clock: () => now,
  });
  return { allocator, platform, advance: (ms: number) => (now += ms) };
}

const order = { pool: "couriers", orderKey: "o1", a: A, ttlSeconds: 3_600 };

describe("temporary callee (AX)", () => {
  it("sets the number the holder's next call through X reaches, for the time asked", async () => {
    const { allocator, platform } = setup("AX");
    const binding = await allocator.allocate(order);
    const set: number[] = [];
    allocator.on("calleeSet", (e) => set.push(e.expiresAtMs));
    expect(await allocator.setCallee("o1", { callee: CUSTOMER, ttlSeconds: 120 })).toEqual({
      x: X,
      expiresAtMs: 1_000_000 + 120_000,
    });
    expect((platform as CalleePlatform).callees).toEqual([
      { mode: "AX", subscriptionId: binding.subscriptionId, x: X, callee: CUSTOMER, durationSeconds: 120 },
    ]);
    expect(set).toEqual([1_120_000]);
    await allocator.setCallee("o1", { callee: CUSTOMER });
    expect((platform as CalleePlatform).callees[1]?.durationSeconds).toBe(60); // the platform's default
  });

  it("refuses bad calls before asking the platform", async () => {
    const { allocator, platform } = setup("AX");
    await allocator.allocate(order);
    const before = platform.calls.length;
    const refused = async (call: Promise<unknown>, code: string) => {
      await expect(call).rejects.toMatchObject({ code });
    };
    await refused(allocator.setCallee("o1", { callee: A }), "BINDPOOL_VALIDATION"); // A calling A
    await refused(allocator.setCallee("o1", { callee: "13900000002" }), "BINDPOOL_VALIDATION");
    await refused(allocator.setCallee("o1", { callee: CUSTOMER, ttlSeconds: 0 }), "BINDPOOL_VALIDATION");
    await refused(
      allocator.setCallee("o1", { callee: CUSTOMER, ttlSeconds: 259_201 }),
      "BINDPOOL_VALIDATION",
    );
    await refused(allocator.setCallee("never", { callee: CUSTOMER }), "BINDPOOL_UNKNOWN_ORDER");
    expect(platform.calls.slice(before)).toEqual([]);
  });

  it("is for AX pools, and needs a driver that can set it", async () => {
    const axb = setup("AXB");
    await axb.allocator.allocate({ ...order, b: CUSTOMER });
    await expect(axb.allocator.setCallee("o1", { callee: "+8613900000009" })).rejects.toMatchObject({
      code: "BINDPOOL_VALIDATION",
    });
    const plain = setup("AX", new ScriptedPlatform());
    await plain.allocator.allocate(order);
    await expect(plain.allocator.setCallee("o1", { callee: CUSTOMER })).rejects.toMatchObject({
      code: "BINDPOOL_VALIDATION",
      message: expect.stringContaining("cannot set a temporary callee"),
    });
  });
});
