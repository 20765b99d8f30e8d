import { describe, expect, it } from "vitest";
import { GenerationGuard, StoreLostError } from "../src/index.js";

const reasonOf = (f: () => void) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreLostError);
    return (err as StoreLostError).reason;
  }
  return undefined;
};

describe("GenerationGuard", () => {
  it("checks nothing before a generation is accepted", () => {
    const guard = new GenerationGuard();
    guard.saw("p", 9);
    expect(guard.expectation("p")).toBeUndefined();
    expect(reasonOf(() => guard.check("p", undefined))).toBeUndefined();
  });

  it("tells a missing pool, a fencing counter below a seen token and another generation apart", () => {
    const guard = new GenerationGuard();
    guard.accept("p", "g1", 0, true);
    guard.saw("p", 5);
    expect(guard.expectation("p")).toEqual({ generation: "g1", minToken: 5 });
    expect(reasonOf(() => guard.check("p", { generation: "g1", counter: 5 }))).toBeUndefined();
    expect(reasonOf(() => guard.check("p", undefined))).toBe("missing");
    expect(reasonOf(() => guard.check("p", { generation: "g1", counter: 4 }))).toBe("rollback");
    expect(reasonOf(() => guard.check("p", { generation: "g2", counter: 7 }))).toBe("generation");
  });

  it("accepts a new generation, but not a left-behind one or a lower counter unless the store made it fresh", () => {
    const guard = new GenerationGuard();
    guard.accept("p", "g1", 0, true);
    guard.saw("p", 5);
    expect(reasonOf(() => guard.accept("p", "g1", 4, false))).toBe("rollback");
    expect(reasonOf(() => guard.accept("p", "g2", 4, false))).toBe("rollback");
    guard.accept("p", "g2", 5, false);
    expect(reasonOf(() => guard.accept("p", "g1", 9, false))).toBe("rollback");
    guard.accept("p", "g3", 5, true);
    expect(guard.expectation("p")).toEqual({ generation: "g3", minToken: 5 });
  });
});
