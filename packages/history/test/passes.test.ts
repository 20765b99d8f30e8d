import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { A1, A2, B1, B2, B3, binding, History, X1, X2 } from "./harness.js";

const s1 = binding("s1", X1, A1, B1);

describe("histories that keep every promise", () => {
  it("passes an allocate bound before its ok and unbound after complete was called", () => {
    const h = new History().allocated(1, "o1", s1).completed(1, "o1", s1);
    expect(h.finalRules()).toEqual([]);
  });

  it("passes an unbind seen after the complete's invoke and before its ok", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invoke(2, "complete", "o1")
      .unbind(s1, "o1")
      .ok(2, "complete", "o1");
    expect(h.finalRules()).toEqual([]);
  });

  it("passes a reassign done by modify", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .modify(binding("s1", X1, A1, B2), "o1")
      .ok(1, "reassign", "o1", binding("s1", X1, A1, B2));
    expect(h.finalRules()).toEqual([]);
  });

  it("passes a reassign that binds another X, then unbinds the old binding, then answers", () => {
    const moved = binding("s2", X2, A1, B2);
    const h = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .bind(moved, "o1")
      .unbind(s1, "o1")
      .ok(1, "reassign", "o1", moved)
      .completed(1, "o1", moved);
    expect(h.finalRules()).toEqual([]);
  });

  it("passes a failed reassign whether the platform applied it or not", () => {
    const applied = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .modify(binding("s1", X1, A1, B2), "o1")
      .fail(1, "reassign", "o1");
    expect(applied.finalRules()).toEqual([]);
    const notApplied = new History()
      .allocated(1, "o1", s1)
      .invokeReassign(1, "o1", B2)
      .fail(1, "reassign", "o1");
    expect(notApplied.finalRules()).toEqual([]);
  });

  it("passes an allocate retried after a failure whose bind went through (adopted)", () => {
    const h = new History()
      .invokeAllocate(1, "o1", A1, B1)
      .fail(1, "allocate", "o1", "INSTANCE_DIED")
      .bind(s1, "o1")
      .invokeAllocate(1, "o1", A1, B1)
      .ok(1, "allocate", "o1", s1);
    expect(h.finalRules()).toEqual([]);
  });

  it("passes a binding left behind by a complete that failed", () => {
    const h = new History().allocated(1, "o1", s1).invoke(1, "complete", "o1").fail(1, "complete", "o1");
    expect(h.finalRules()).toEqual([]);
  });

  it("passes an allocate answered ok after a complete of the same order was called (not live)", () => {
    const h = new History()
      .invokeAllocate(1, "o1", A1, B1)
      .bind(s1, "o1")
      .invoke(2, "complete", "o1")
      .ok(1, "allocate", "o1", s1)
      .unbind(s1, "o1")
      .ok(2, "complete", "o1");
    expect(h.finalRules()).toEqual([]);
  });

  it("passes an extend answered while the binding is there, and bindings of others on the same X", () => {
    const h = new History()
      .allocated(1, "o1", s1)
      .allocated(2, "o2", binding("s2", X1, A2, B2))
      .invoke(1, "extend", "o1")
      .modify(s1)
      .ok(1, "extend", "o1")
      .allocated(3, "o3", binding("s3", X2, A1, B3));
    expect(h.finalRules()).toEqual([]);
    expect(h.checker.counts()).toMatchObject({ liveOrders: 3, platformBindings: 3, maxBindingsOnOneX: 2 });
  });

  it("passes any interleaving of orders that each bind, maybe reassign, and maybe complete", () => {
    type Step = (h: History) => void;
    // Each order is a script of steps over its own users; the scheduler picks which order moves next.
    const script = (i: number, reassign: "none" | "modify" | "rebind", complete: boolean): Step[] => {
      const key = `o${i}`;
      const a = `+861380000${String(i).padStart(4, "0")}`;
      const b = `+861390000${String(i).padStart(4, "0")}`;
      const nb = `+861370000${String(i).padStart(4, "0")}`;
      const first = binding(`s${i}`, X1, a, b);
      let last = first;
      const steps: Step[] = [
        (h) => h.invokeAllocate(i, key, a, b),
        (h) => h.bind(first, key),
        (h) => h.ok(i, "allocate", key, first),
      ];
      if (reassign === "modify") {
        last = binding(`s${i}`, X1, a, nb);
        steps.push(
          (h) => h.invokeReassign(i, key, nb),
          (h) => h.modify(last, key),
          (h) => h.ok(i, "reassign", key, last),
        );
      } else if (reassign === "rebind") {
        last = binding(`r${i}`, X2, a, nb);
        steps.push(
          (h) => h.invokeReassign(i, key, nb),
          (h) => h.bind(last, key),
          (h) => h.unbind(first, key),
          (h) => h.ok(i, "reassign", key, last),
        );
      }
      if (complete) {
        steps.push(
          (h) => h.invoke(i, "complete", key),
          (h) => h.unbind(last, key),
          (h) => h.ok(i, "complete", key),
        );
      }
      return steps;
    };
    const order = fc.record({
      reassign: fc.constantFrom("none" as const, "modify" as const, "rebind" as const),
      complete: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(order, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (orders, picks) => {
          const scripts = orders.map((o, i) => script(i, o.reassign, o.complete));
          const h = new History();
          for (const pick of picks) {
            const open = scripts.filter((s) => s.length > 0);
            if (open.length === 0) break;
            open[pick % open.length]!.shift()!(h);
          }
          for (const s of scripts) for (const step of s.splice(0)) step(h);
          expect(h.finalRules()).toEqual([]);
        },
      ),
    );
  });
});
