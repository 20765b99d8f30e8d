import { describe, expect, it } from "vitest";
import { Allocator, MemoryStore, ValidationError } from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const X = "+8619900000001";
const pools = [{ id: "rides", mode: "AXB" as const, numbers: [{ x: X }] }];
const valid = () => ({ store: new MemoryStore(), driver: new ScriptedPlatform(), pools });

/** The error a call throws, which must be a ValidationError. */
async function refused(call: () => unknown): Promise<ValidationError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected the call to throw");
}

describe("nonsense options are refused with a ValidationError, before anything changes", () => {
  it("refuses allocator options that are not what they say", async () => {
    for (const options of [
      undefined,
      "store",
      { ...valid(), driver: {} },
      { ...valid(), store: { reserve: 1 } },
      { ...valid(), clock: "now" },
      { ...valid(), scheduler: { sleep: () => undefined } },
      { ...valid(), lock: {} },
      { ...valid(), logger: console.log },
      { ...valid(), writePools: "yes" },
    ]) {
      const error = await refused(() => new Allocator(options as never));
      expect(error.message).toMatch(/Allocator/);
    }
    const driver = await refused(() => new Allocator({ ...valid(), driver: {} as never }));
    expect(driver.message).toContain("missing bind, unbind, modify, query");
  });

  it("refuses bad options of operator and job calls, leaving the pool as it was", async () => {
    const store = new MemoryStore();
    const allocator = new Allocator({ ...valid(), store });
    await allocator.init();
    const before = await store.numbers("rides");
    await refused(() => allocator.setNumberState(X, "quarantined", { untilMs: Number.NaN }));
    await refused(() => allocator.setNumberState(X, "draining", { untilMs: Date.now() + 1000 }));
    await refused(() => allocator.reconcile({ adoptTtlSeconds: -5 }));
    await refused(() => allocator.reconcile({ adoptUnknown: "yes" as never }));
    await refused(() => allocator.sweep({ limit: Number.NaN }));
    await refused(() => allocator.sweep({ limit: 0 }));
    await refused(() => allocator.drain(X, { pollMs: 0 }));
    await refused(() => allocator.releaseYB("o1")); // an AXB pool has no YB relation
    expect(await store.numbers("rides")).toEqual(before);
  });

  it("masks user numbers in validation messages", async () => {
    const allocator = new Allocator(valid());
    const error = await refused(() =>
      allocator.allocate({
        pool: "rides",
        orderKey: "o1",
        a: "+8613800000006",
        b: "+8613800000006",
        ttlSeconds: 60,
      }),
    );
    expect(error.message).not.toContain("8613800000006");
    const bad = await refused(() =>
      allocator.allocate({
        pool: "rides",
        orderKey: "o1",
        a: "8613800000007x",
        b: "+8613800000008",
        ttlSeconds: 60,
      }),
    );
    expect(bad.message).not.toContain("8613800000007");
    expect(bad.message).toContain("****");
  });
});
