import { type Outcome, ValidationError } from "@bindpool/core";
import { type Simulator, startSimulator } from "@bindpool/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HuaweiDriver } from "../src/index.js";
import { user } from "./harness.js";

const APP = { appKey: "axyb-key", appSecret: "axyb-secret" } as const;
const N = [1, 2, 3, 4, 5, 6].map((i) => `+861720000000${i}`);

let sim: Simulator;
let next = 0;
const fresh = (): string => user(3000 + next++);

beforeAll(async () => {
  sim = await startSimulator({
    apps: [{ ...APP, mode: "AXYB", numbers: N.map((x) => ({ x, city: "0755", province: "GD" })) }],
  });
});
afterAll(() => sim.close());

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.kind !== "ok")
    throw new Error(`expected ok, got ${outcome.kind} ${outcome.code}: ${outcome.message}`);
  return outcome.value;
}

const driver = () => new HuaweiDriver({ baseUrl: sim.url, ...APP });

describe("AXYB against the simulator", () => {
  it("binds A to X and B to Y, lists it by subscriptionId and by X, and unbinds it", async () => {
    const d = driver();
    const [a, b] = [fresh(), fresh()];
    const bound = ok(
      await d.bind({ mode: "AXYB", x: N[0]!, y: N[1]!, a, b, durationSeconds: 600, userData: "o-1" }),
    );
    expect(bound).toMatchObject({ x: N[0], y: N[1] });
    // Two requests: A's relation on X, then B's on Y under its subscriptionId.
    expect(d.stats().requests).toBe(2);
    const want = { subscriptionId: bound.subscriptionId, x: N[0], y: N[1], a, b, userData: "o-1" };
    expect(ok(await d.query({ mode: "AXYB", subscriptionId: bound.subscriptionId })).bindings).toEqual([
      expect.objectContaining({ ...want, durationSeconds: 600 }),
    ]);
    expect(ok(await d.query({ mode: "AXYB", x: N[0]! })).bindings).toEqual([expect.objectContaining(want)]);
    ok(await d.unbind({ mode: "AXYB", subscriptionId: bound.subscriptionId }));
    expect(ok(await d.query({ mode: "AXYB", x: N[0]! })).bindings).toEqual([]);
    expect(await d.unbind({ mode: "AXYB", subscriptionId: bound.subscriptionId })).toMatchObject({
      kind: "notFound",
    });
  });

  it("removes only the YB relation when asked, keeping A on X", async () => {
    const d = driver();
    const [a, b] = [fresh(), fresh()];
    const { subscriptionId } = ok(
      await d.bind({ mode: "AXYB", x: N[2]!, y: N[3]!, a, b, durationSeconds: 0 }),
    );
    ok(await d.unbind({ mode: "AXYB", subscriptionId, yb: { y: N[3]! } }));
    const [left] = ok(await d.query({ mode: "AXYB", subscriptionId })).bindings;
    expect(left).toMatchObject({ x: N[2], a });
    expect(left?.y).toBeUndefined();
    expect(left?.b).toBeUndefined();
    // Y is free again for another binding.
    const other = ok(
      await d.bind({ mode: "AXYB", x: N[4]!, y: N[3]!, a: fresh(), b: fresh(), durationSeconds: 60 }),
    );
    expect(other.y).toBe(N[3]);
    ok(await d.unbind({ mode: "AXYB", subscriptionId }));
    ok(await d.unbind({ mode: "AXYB", subscriptionId: other.subscriptionId }));
  });

  it("answers conflict for an X that carries another A, leaving nothing half bound", async () => {
    const d = driver();
    const first = ok(
      await d.bind({ mode: "AXYB", x: N[0]!, y: N[1]!, a: fresh(), b: fresh(), durationSeconds: 60 }),
    );
    const second = await d.bind({
      mode: "AXYB",
      x: N[0]!,
      y: N[2]!,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(second).toMatchObject({ kind: "conflict", code: "1012010" });
    // A Y that is the X of a binding cannot take a YB: the first step is undone.
    const third = await d.bind({
      mode: "AXYB",
      x: N[5]!,
      y: N[0]!,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(third).toMatchObject({ kind: "conflict" });
    expect(ok(await d.query({ mode: "AXYB", x: N[5]! })).bindings).toEqual([]);
    ok(await d.unbind({ mode: "AXYB", subscriptionId: first.subscriptionId }));
  });

  it("sends the bind's number fields under the names it is configured with", async () => {
    const d = new HuaweiDriver({
      baseUrl: sim.url,
      ...APP,
      axyb: { fields: { a: "numA", b: "numB", x: "numX", y: "numY" } },
    });
    // The simulator reads the documented sample names: renamed fields leave A missing.
    const renamed = await d.bind({
      mode: "AXYB",
      x: N[0]!,
      y: N[1]!,
      a: fresh(),
      b: fresh(),
      durationSeconds: 60,
    });
    expect(renamed).toMatchObject({ kind: "invalidParam", code: "1010002" });
  });

  it("refuses lifetimes the platform does not take before sending", async () => {
    const d = driver();
    const req = { mode: "AXYB" as const, x: N[0]!, y: N[1]!, a: fresh(), b: fresh() };
    await expect(d.bind({ ...req, durationSeconds: 59 })).rejects.toBeInstanceOf(ValidationError);
    await expect(d.bind({ ...req, durationSeconds: 7_776_001 })).rejects.toBeInstanceOf(ValidationError);
    expect(() => new HuaweiDriver({ baseUrl: sim.url, ...APP, axyb: { ybDurationSeconds: 30 } })).toThrow(
      ValidationError,
    );
    expect(d.stats().requests).toBe(0);
  });
});
