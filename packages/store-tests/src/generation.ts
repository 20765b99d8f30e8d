import type { Store, StoredNumber } from "@bindpool/core";
import { expect, it } from "vitest";
import { B, reserveRequest, T0 } from "./fixtures.js";

/** What the generation tests need besides a fresh store. */
export interface GenerationHooks {
  readonly fresh: () => Promise<Store>;
  /** Another store object on the same data (a second process). */
  readonly connect: (store: Store) => Promise<Store>;
  /** Loses every pool's data as a restart without persistence would; the objects stay. */
  readonly loseData: (store: Store) => Promise<void>;
}

/** Every method a store object checks against the generation it accepted (all but the accepting ones). */
type Checked = Exclude<keyof Store, "upsertPool" | "poolGeneration" | "close">;

const NUMBERS: StoredNumber[] = [
  { x: "+8619900000001", capacity: 10 },
  { x: "+8619900000002", capacity: 10 },
];
const X0 = NUMBERS[0]!.x;

const req = reserveRequest;

/**
 * One call per checked method; a method added to `Store` does not compile here until it has a row, so
 * the data-loss test covers every method.
 */
const CALLS: Record<Checked, (s: Store) => Promise<unknown>> = {
  finishRecovery: (s) => s.finishRecovery("p", "any"),
  setNumberState: (s) => s.setNumberState("p", X0, "draining"),
  cooldown: (s) => s.cooldown("p", X0, T0 + 10),
  reserve: (s) => s.reserve(req({ orderKey: "o2" })),
  confirm: (s) =>
    s.confirm({ pool: "p", orderKey: "o1", token: 1, subscriptionId: "s", untilMs: T0 + 9_000, nowMs: T0 }),
  release: (s) => s.release("p", "o1"),
  extend: (s) => s.extend("p", "o1", 1, T0 + 9_000),
  markReleasing: (s) => s.markReleasing("p", "o1", 1, T0 + 500),
  changeB: (s) => s.changeB("p", "o1", 1, "+8613800000009"),
  settleB: (s) => s.settleB("p", "o1", 1, B),
  swap: (s) => s.swap("p", "o1", "o2"),
  get: (s) => s.get("p", "o1"),
  expired: (s) => s.expired("p", T0 + 10_000, 10),
  stats: (s) => s.stats("p", T0),
  numbers: (s) => s.numbers("p"),
  load: (s) => s.load?.("p", X0) ?? s.numbers("p"),
  entries: (s) => s.entries("p"),
};

const lost = (reason: string) => ({ code: "BINDPOOL_STORE_LOST", pool: "p", reason });

/** Registers the tests of the store's generation (see `Store`): data loss, rebuild and recovery. */
export function generationTests(hooks: GenerationHooks): void {
  /** A store with pool "p" out of recovery and one reservation (o1). */
  const ready = async () => {
    const store = await hooks.fresh();
    const g = await store.upsertPool("p", "AXB", NUMBERS);
    await store.finishRecovery("p", g.generation);
    const r = await store.reserve(req());
    if (!r.ok) throw new Error(`setup: reserve answered ${r.reason}`);
    return { store, generation: g.generation, entry: r.entry };
  };

  it("creates a pool recovering: no new reservations nor unknown gets until finishRecovery", async () => {
    const store = await hooks.fresh();
    expect(await store.poolGeneration("p")).toBeUndefined();
    const g = await store.upsertPool("p", "AXB", NUMBERS);
    expect(g).toEqual({ generation: expect.any(String), recovering: true });
    expect(await store.poolGeneration("p")).toEqual(g);
    expect(await store.reserve(req())).toEqual({ ok: false, reason: "recovering" });
    const err = await store.get("p", "o1").catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "BINDPOOL_STORE_RECOVERING",
      pool: "p",
      retryAfterMs: expect.any(Number),
    });
    // Recording a binding found at the platform works, and so does everything about that entry.
    const adopted = await store.reserve(req({ x: X0 }));
    expect(adopted).toMatchObject({ ok: true, existing: false, entry: { x: X0 } });
    expect(await store.reserve(req())).toMatchObject({ ok: true, existing: true });
    expect(await store.get("p", "o1")).toMatchObject({ orderKey: "o1", x: X0 });
    expect(await store.finishRecovery("p", "stale")).toBe(false);
    expect(await store.finishRecovery("p", g.generation)).toBe(true);
    expect(await store.poolGeneration("p")).toEqual({ generation: g.generation, recovering: false });
    expect(await store.reserve(req({ orderKey: "o2", a: "+8613800000003" }))).toMatchObject({ ok: true });
    expect(await store.get("p", "unknown")).toBeUndefined();
    // Upserting again keeps the generation.
    expect(await store.upsertPool("p", "AXB", NUMBERS)).toEqual({
      generation: g.generation,
      recovering: false,
    });
  });

  for (const [method, call] of Object.entries(CALLS)) {
    it(`${method} throws StoreLostError (missing) after data loss, until upsertPool accepts the new pool`, async () => {
      const { store } = await ready();
      await hooks.loseData(store);
      await expect(call(store)).rejects.toMatchObject(lost("missing"));
      await expect(call(store)).rejects.toMatchObject(lost("missing"));
      expect(await store.poolGeneration("p")).toBeUndefined();
      await expect(call(store)).rejects.toMatchObject(lost("missing"));
      const g = await store.upsertPool("p", "AXB", NUMBERS);
      expect(g.recovering).toBe(true);
      expect(await store.finishRecovery("p", g.generation)).toBe(true);
      await call(store);
    });
  }

  it("lets a second store object that accepted the new pool work, and keeps tokens above every one seen", async () => {
    const { store: first, generation: old, entry } = await ready();
    const second = await hooks.connect(first);
    expect(await second.poolGeneration("p")).toEqual({ generation: old, recovering: false });
    expect(await second.get("p", "o1")).toEqual(entry); // it works with the order too
    await hooks.loseData(first);
    const made = await second.upsertPool("p", "AXB", NUMBERS);
    expect(made).toEqual({ generation: expect.any(String), recovering: true });
    expect(made.generation).not.toBe(old);
    // The first object still holds the old generation: it refuses to act on the new state.
    await expect(first.reserve(req({ orderKey: "o2", x: X0 }))).rejects.toMatchObject(lost("generation"));
    const adopted = await second.reserve(req({ x: X0 }));
    if (!adopted.ok) throw new Error(`adopting reserve answered ${adopted.reason}`);
    expect(adopted.entry.token).toBeGreaterThan(entry.token);
    expect(await second.finishRecovery("p", made.generation)).toBe(true);
    expect(await first.poolGeneration("p")).toEqual({ generation: made.generation, recovering: false });
    expect(await first.get("p", "o1")).toMatchObject({ token: adopted.entry.token });
  });

  it("rebuilds a pool under a new generation, keeping its entries; other objects must accept it", async () => {
    const { store: first, generation: old, entry } = await ready();
    const second = await hooks.connect(first);
    await second.poolGeneration("p");
    const rebuilt = await second.upsertPool("p", "AXB", NUMBERS, { rebuild: true });
    expect(rebuilt.recovering).toBe(true);
    expect(rebuilt.generation).not.toBe(old);
    expect(await second.get("p", "o1")).toEqual(entry);
    expect(await second.reserve(req({ orderKey: "o2", a: "+8613800000003" }))).toEqual({
      ok: false,
      reason: "recovering",
    });
    await expect(first.get("p", "o1")).rejects.toMatchObject(lost("generation"));
    await expect(first.finishRecovery("p", rebuilt.generation)).rejects.toMatchObject(lost("generation"));
    expect(await first.poolGeneration("p")).toEqual(rebuilt);
    expect(await first.finishRecovery("p", old)).toBe(false);
    expect(await first.finishRecovery("p", rebuilt.generation)).toBe(true);
    expect(await second.poolGeneration("p")).toEqual({ generation: rebuilt.generation, recovering: false });
  });

  it("checks nothing for an object that has accepted no generation (as before generations)", async () => {
    const { store } = await ready();
    await hooks.loseData(store);
    const other = await hooks.connect(store);
    expect(await other.reserve(req())).toEqual({ ok: false, reason: "exhausted" });
    expect(await other.get("p", "o1")).toBeUndefined();
  });
}
