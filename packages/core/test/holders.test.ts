import { describe, expect, it } from "vitest";
import { Allocator, MemoryStore, type Scheduler } from "../src/index.js";
import { ScriptedPlatform } from "./scripted-platform.js";

const COURIER = "+8613800000001";
const xs = Array.from({ length: 7 }, (_, i) => ({ x: `+861990000000${i}` }));

/** A MemoryStore that counts its O(pool) reads. */
class CountingStore extends MemoryStore {
  numbersReads = 0;
  override async numbers(pool: string) {
    this.numbersReads++;
    return super.numbers(pool);
  }
}

/** An AX pool "couriers" on a MemoryStore; `sleep` waits one turn of the event loop and counts. */
function setup(store: MemoryStore = new MemoryStore()) {
  const platform = new ScriptedPlatform();
  let sleeps = 0;
  const scheduler: Scheduler = {
    sleep: () => new Promise((resolve) => setImmediate(() => resolve(void sleeps++))),
    random: () => 0.5,
  };
  const allocator = new Allocator({
    store,
    driver: platform,
    pools: [{ id: "couriers", mode: "AX", numbers: xs }],
    scheduler,
  });
  return { allocator, platform, sleeps: () => sleeps };
}

describe("AX holders", () => {
  it("gives a holder one X for its shift, the same again, and at most 5 X per number", async () => {
    const { allocator } = setup();
    const first = await allocator.hold({ pool: "couriers", holder: "courier:1:shift:1", a: COURIER });
    const again = await allocator.hold({ pool: "couriers", holder: "courier:1:shift:1", a: COURIER });
    expect(again).toEqual(first);
    expect(first.expiresAtMs - Date.now()).toBeGreaterThan(11 * 3_600_000); // the 12 h default, plus grace
    const held = new Set([first.x]);
    for (let i = 2; i <= 5; i++) {
      held.add((await allocator.hold({ pool: "couriers", holder: `courier:1:shift:${i}`, a: COURIER })).x);
    }
    expect(held.size).toBe(5);
    await expect(
      allocator.hold({ pool: "couriers", holder: "courier:1:shift:6", a: COURIER }),
    ).rejects.toMatchObject({ code: "BINDPOOL_USER_LIMIT" });
  });

  it("refuses a hold on a pool that is not AX, and a bad request, before any state changes", async () => {
    const store = new MemoryStore();
    const allocator = new Allocator({
      store,
      driver: new ScriptedPlatform(),
      pools: [{ id: "rides", mode: "AXB", numbers: xs }],
    });
    await expect(allocator.hold({ pool: "rides", holder: "c1", a: COURIER })).rejects.toMatchObject({
      code: "BINDPOOL_VALIDATION",
      message: expect.stringMatching(/AXB pool: a hold is for AX pools/),
    });
    await expect(
      allocator.hold({ pool: "rides", holder: "c1", a: COURIER, ttlSeconds: -1 }),
    ).rejects.toMatchObject({ code: "BINDPOOL_VALIDATION" });
    expect(await store.poolGeneration("rides")).toBeUndefined();
  });

  it("drains X: no new holder gets it, and the wait ends when its holder's shift ends", async () => {
    const { allocator, sleeps } = setup();
    const held = await allocator.hold({ pool: "couriers", holder: "c1", a: COURIER });
    let drained = false;
    allocator.on("drained", (e) => {
      if (e.x === held.x) drained = true;
    });
    const waiting = allocator.drain(held.x, { pollMs: 10 });
    // The drain waits while the holder keeps X; meanwhile nobody new gets it.
    while (sleeps() < 3) await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    for (let i = 2; i <= 7; i++) {
      const other = await allocator.hold({ pool: "couriers", holder: `c${i}`, a: `+861380000000${i}` });
      expect(other.x).not.toBe(held.x);
    }
    await allocator.complete("c1");
    await waiting;
    expect(drained).toBe(true);
    expect((await allocator.stats()).byState.draining).toBe(1);
  });

  it("polls X's own load while it drains, not the whole pool; a store without load() is read whole", async () => {
    for (const withLoad of [true, false]) {
      const store = new CountingStore();
      if (!withLoad) Object.defineProperty(store, "load", { value: undefined });
      const { allocator, sleeps } = setup(store);
      const held = await allocator.hold({ pool: "couriers", holder: "c1", a: COURIER });
      const before = store.numbersReads;
      const waiting = allocator.drain(held.x, { pollMs: 10 });
      while (sleeps() < 5) await new Promise((r) => setImmediate(r));
      await allocator.complete("c1");
      await waiting;
      if (withLoad) expect(store.numbersReads).toBe(before);
      else expect(store.numbersReads - before).toBeGreaterThanOrEqual(5);
    }
  });

  it("stops waiting when the signal aborts, leaving X draining", async () => {
    const { allocator, sleeps } = setup();
    const held = await allocator.hold({ pool: "couriers", holder: "c1", a: COURIER });
    const stop = new AbortController();
    const waiting = allocator.drain(held.x, { signal: stop.signal });
    while (sleeps() < 1) await new Promise((r) => setImmediate(r));
    stop.abort(new Error("operator gave up"));
    await expect(waiting).rejects.toThrow("operator gave up");
    expect((await allocator.stats()).byState.draining).toBe(1);
  });
});
