import { describe, expect, it } from "vitest";
import type { Violation } from "../src/index.js";
import { A1, A2, B1, B2, B3, binding, History, X1, X2 } from "./harness.js";

const s1 = binding("s1", X1, A1, B1);

describe("histories that break a rule", () => {
  it("reports an allocate ok seen before the platform's bind", () => {
    const h = new History().invokeAllocate(1, "o1", A1, B1).ok(1, "allocate", "o1", s1).bind(s1, "o1");
    expect(h.rules()).toEqual(["allocate-ok-not-bound"]);
  });

  it("reports an allocate ok naming a binding the platform holds with another B", () => {
    const h = new History()
      .invokeAllocate(1, "o1", A1, B1)
      .bind(binding("s1", X1, A1, B2), "o1")
      .ok(1, "allocate", "o1", s1);
    expect(h.rules()).toEqual(["allocate-ok-not-bound"]);
  });

  it("reports an allocate ok naming a subscriptionId the platform unbound before the ok (adopt race)", () => {
    const h = new History()
      .invokeAllocate(1, "o1", A1, B1)
      .bind(s1, "o1")
      .unbind(s1, "o1")
      .ok(1, "allocate", "o1", s1);
    expect(h.rules()).toEqual(["allocate-ok-not-bound"]);
    expect(h.finalRules()).toEqual(["allocate-ok-not-bound", "final-order-unbound"]);
  });

  it("reports an allocate ok with another pair than asked for", () => {
    const h = new History().invokeAllocate(1, "o1", A1, B2).bind(s1, "o1").ok(1, "allocate", "o1", s1);
    expect(h.rules()).toEqual(["allocate-ok-wrong-pair"]);
  });

  it("reports, as it happens, an unbind of a live order's binding (a reconciler took it)", () => {
    const seen: Violation[] = [];
    const h = new History({ onViolation: (v) => seen.push(v) }).allocated(1, "o1", s1).unbind(s1, "o1");
    expect(seen.map((v) => [v.rule, v.orderKey, v.subscriptionId])).toEqual([
      ["live-binding-lost", "o1", "s1"],
    ]);
    // Reported once: the final check does not count the same loss again.
    expect(h.finalRules()).toEqual(["live-binding-lost"]);
  });

  it("reports an expiry of a live order's binding", () => {
    const h = new History().allocated(1, "o1", s1).expire(s1, "o1");
    expect(h.checker.violations[0]?.message).toContain("expired");
    expect(h.rules()).toEqual(["live-binding-lost"]);
  });

  it("reports an unbind of a live order's binding while its reassign runs, when no new binding exists", () => {
    const h = new History().allocated(1, "o1", s1).invokeReassign(1, "o1", B2).unbind(s1, "o1");
    expect(h.rules()).toEqual(["live-binding-lost"]);
  });

  it("reports a live order's binding moved by the platform to a pair nobody asked for", () => {
    const h = new History().allocated(1, "o1", s1).modify(binding("s1", X1, A1, B3));
    expect(h.rules()).toEqual(["live-binding-changed"]);
  });

  it("reports a reassign ok whose binding does not have the new B", () => {
    const h = new History().allocated(1, "o1", s1).invokeReassign(1, "o1", B2).ok(1, "reassign", "o1", s1);
    expect(h.rules()).toEqual(["reassign-ok-wrong-pair"]);
  });

  it("reports a reassign ok with the new B that the platform never applied", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .ok(1, "reassign", "o1", binding("s1", X1, A1, B2));
    expect(h.rules()).toEqual(["reassign-ok-not-bound"]);
  });

  it("reports an extend ok while the platform holds no binding of the order", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invoke(1, "extend", "o1")
      .unbind(s1, "o1")
      .ok(1, "extend", "o1");
    expect(h.rules()).toEqual(["live-binding-lost", "extend-ok-not-bound"]);
  });

  it("reports one user twice on one X, and an X over its capacity", () => {
    const twice = new History().bind(s1).bind(binding("s2", X1, A1, B2));
    expect(twice.rules()).toEqual(["user-twice-on-x"]);
    const full = new History({ capacityPerX: 1 }).bind(s1).bind(binding("s2", X1, A2, B2));
    expect(full.rules()).toEqual(["x-over-capacity"]);
    // The same users on another X are fine.
    expect(
      new History()
        .bind(s1)
        .bind(binding("s2", X2, A1, B1))
        .rules(),
    ).toEqual([]);
  });

  it("reports a binding left at the platform after its order completed, and one of no order", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invoke(1, "complete", "o1")
      .ok(1, "complete", "o1")
      .bind(binding("s9", X2, A2, B3));
    expect(h.rules()).toEqual([]);
    const final = h.checker.finish();
    expect(final.map((v) => [v.rule, v.subscriptionId])).toEqual([
      ["final-orphan", "s1"],
      ["final-orphan", "s9"],
    ]);
    expect(final[0]?.message).toContain("order o1 (completed)");
  });

  it("reports a live order holding both its old and its new binding at the end of a failed reassign", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .bind(binding("s2", X2, A1, B2), "o1")
      .fail(1, "reassign", "o1");
    expect(h.finalRules()).toEqual(["final-duplicate"]);
  });

  it("reports a live order whose binding is not at the platform at the end", () => {
    const h = new History().invokeAllocate(1, "o1", A1, B1).ok(1, "allocate", "o1", s1);
    expect(h.finalRules()).toEqual(["allocate-ok-not-bound", "final-order-unbound"]);
  });

  it("reports a malformed history: an answer without its call, a call over a call, an unknown unbind", () => {
    const h = new History()
      .ok(1, "allocate", "o1", s1)
      .invokeAllocate(2, "o2", A1, B1)
      .invoke(2, "complete", "o2")
      .unbind(s1)
      .modify(s1);
    expect(h.rules()).toEqual(["history", "history", "history", "history"]);
  });

  it("takes no events after the final check", () => {
    const h = new History().allocated(1, "o1", s1);
    h.checker.finish();
    expect(() => h.unbind(s1)).toThrow(/finished/);
    expect(() => h.checker.finish()).toThrow(/finished/);
  });

  it("counts what it saw", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invokeAllocate(2, "o2", A2, B2)
      .fail(2, "allocate", "o2")
      .unbind(s1);
    expect(h.checker.counts()).toEqual({
      clientEvents: 4,
      platformEvents: 2,
      invoked: { allocate: 2, reassign: 0, extend: 0, complete: 0 },
      ok: { allocate: 1, reassign: 0, extend: 0, complete: 0 },
      failed: { allocate: 1, reassign: 0, extend: 0, complete: 0 },
      platform: { bind: 1, modify: 0, unbind: 1, expire: 0 },
      liveOrders: 1,
      platformBindings: 0,
      maxBindingsOnOneX: 1,
      violations: { "live-binding-lost": 1 },
    });
  });
});
