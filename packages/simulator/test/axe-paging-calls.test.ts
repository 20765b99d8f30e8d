import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FIRST_CURSOR, NO_CALLBACK_STATE_CODE, type Simulator, startSimulator } from "../src/index.js";
import { AXE_PATH, AXE_V2_PATH, client, numbers, type ReceivedPush, receiver } from "./harness.js";

// AXE v2.0 cursor paging (§6.2) and AXE calls: call-back records, extendNum in pushes (§6, §11).

const X = "+8617100000001";
const X2 = "+8617100000002";
const A = "+8613900000001";
const PEER = "+8613600000001";
const PEER2 = "+8613600000002";
const FALLBACK = "+8613500000001";
const T0 = Date.UTC(2024, 0, 1);

let sim: Simulator | undefined;
let closeReceiver: (() => Promise<void>) | undefined;
afterEach(async () => {
  await sim?.close();
  await closeReceiver?.();
  sim = undefined;
  closeReceiver = undefined;
});

async function start(push?: { url: string }) {
  const clock = { ms: T0 };
  sim = await startSimulator({
    apps: [{ appKey: "axe", appSecret: "s", mode: "AXE", numbers: [{ x: X, capacity: 9999 }, { x: X2 }] }],
    now: () => clock.ms,
    ...(push === undefined ? {} : { push }),
  });
  const call = client(sim, "axe", "s");
  const bind = async (body: Record<string, unknown>) => (await call("POST", AXE_PATH, { body })).body;
  const page = async (query: Record<string, string | number>) =>
    (await call("GET", AXE_V2_PATH, { query: { virtualNum: X, ...query } })).body;
  return { sim, call, clock, bind, page };
}

type Item = { subscriptionId: string; extendNum: string; bindNum: string };

describe("AXE query v2.0", () => {
  it("pages one X by cursor, answering nextCursor while more follow", async () => {
    const { bind, page } = await start();
    const ids: string[] = [];
    for (const a of numbers("+8613900000100", 7))
      ids.push(String((await bind({ bindNum: a, virtualNum: X })).subscriptionId));
    await bind({ bindNum: A, virtualNum: X2 });
    const first = await page({ cursor: FIRST_CURSOR, limit: 3 });
    expect(first.resultcode).toBe("0");
    expect((first.virtualNumList as Item[]).map((i) => i.extendNum)).toEqual(["0001", "0002", "0003"]);
    expect(first.nextCursor).toMatch(/^\d{13}_\d{1,20}$/);
    expect(String(first.nextCursor).slice(0, 13)).toBe(String(T0).padStart(13, "0"));
    const second = await page({ cursor: String(first.nextCursor), limit: "3" });
    const third = await page({ cursor: String(second.nextCursor), limit: 3 });
    expect(third).not.toHaveProperty("nextCursor");
    const all = [first, second, third].flatMap((p) =>
      (p.virtualNumList as Item[]).map((i) => i.subscriptionId),
    );
    expect(all).toEqual(ids);
    // No cursor is the first page; limit defaults to 50; the last full page has no nextCursor.
    const whole = await page({});
    expect(whole.virtualNumList).toHaveLength(7);
    expect(whole).not.toHaveProperty("nextCursor");
    expect(await page({ limit: 7 })).not.toHaveProperty("nextCursor");
    // An X not of the app.
    expect((await page({ virtualNum: "+8617100000003" })).resultcode).toBe("1012001");
  });

  it("answers one binding for subscriptionId or virtualNum + extendNum, ignoring the cursor", async () => {
    const { bind, page, call } = await start();
    const b = await bind({ bindNum: A, virtualNum: X2, extendNum: "0005" });
    const one = await page({ virtualNum: X2, extendNum: "0005", cursor: "bad" });
    expect(one.virtualNumList).toEqual([
      expect.objectContaining({ subscriptionId: b.subscriptionId, bindNum: A }),
    ]);
    const byId = await call("GET", AXE_V2_PATH, { query: { subscriptionId: String(b.subscriptionId) } });
    expect(byId.body.virtualNumList).toHaveLength(1);
    expect((await page({ virtualNum: X2, extendNum: "0006" })).resultcode).toBe("1016001");
    const listed = await page({ virtualNum: X2, cursor: FIRST_CURSOR });
    expect(listed).toMatchObject({ resultcode: "0", virtualNumList: [expect.anything()] });
    await call("DELETE", AXE_PATH, { query: { subscriptionId: String(b.subscriptionId) } });
    const empty = await page({ virtualNum: X2 });
    expect(empty).toMatchObject({ resultcode: "0", virtualNumList: [] });
    expect(empty).not.toHaveProperty("nextCursor");
  });

  it("rejects a malformed cursor, a limit outside 1..100 and a missing virtualNum with 1010002", async () => {
    const { page, call } = await start();
    const bad: Record<string, string | number>[] = [
      { cursor: "0_0" },
      { cursor: "000000000000a_1" },
      { limit: 0 },
      { limit: 101 },
    ];
    for (const query of bad) {
      expect((await page(query)).resultcode).toBe("1010002");
    }
    expect((await call("GET", AXE_V2_PATH, {})).body.resultcode).toBe("1010002");
  });

  it("never skips a binding that stays bound while others are unbound between pages", async () => {
    const { bind, page, call, sim } = await start();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 30 }),
        fc.array(fc.nat(4), { maxLength: 10 }),
        async (count, limit, doomed, newPerPage) => {
          for (const b of sim.bindings("axe")) {
            await call("DELETE", AXE_PATH, { query: { subscriptionId: b.subscriptionId } });
          }
          const ids: string[] = [];
          for (const a of numbers("+8613900000100", count))
            ids.push(String((await bind({ bindNum: a, virtualNum: X })).subscriptionId));
          const unbound = new Set<string>();
          const seen: string[] = [];
          let cursor: string | undefined = FIRST_CURSOR;
          let round = 0;
          let fresh = 0;
          while (cursor !== undefined) {
            const body = await page({ cursor, limit });
            expect(body.resultcode).toBe("0");
            seen.push(...(body.virtualNumList as Item[]).map((i) => i.subscriptionId));
            cursor = body.nextCursor as string | undefined;
            // Between pages: unbind some (seen or not), bind some new ones.
            for (const i of doomed.splice(0, 3)) {
              const id = ids[i % ids.length]!;
              if (unbound.has(id)) continue;
              unbound.add(id);
              await call("DELETE", AXE_PATH, { query: { subscriptionId: id } });
            }
            for (let k = 0; k < (newPerPage[round] ?? 0); k++) {
              await bind({ bindNum: `+86137${String(fresh++).padStart(8, "0")}`, virtualNum: X });
            }
            round++;
          }
          const stayed = ids.filter((id) => !unbound.has(id));
          const seenSet = new Set(seen);
          expect(stayed.filter((id) => !seenSet.has(id))).toEqual([]);
          expect(seen.length).toBe(seenSet.size);
        },
      ),
      { numRuns: 25 },
    );
  });
});

function eventsOf(pushes: ReceivedPush[]): Record<string, unknown>[] {
  return pushes
    .filter((p) => p.body.eventType !== "fee")
    .map((p) => p.body.statusInfo as Record<string, unknown>);
}
function feeOf(pushes: ReceivedPush[]): Record<string, unknown> | undefined {
  const fee = pushes.find((p) => p.body.eventType === "fee");
  return (fee?.body.feeLst as Record<string, unknown>[] | undefined)?.[0];
}

describe("AXE calls", () => {
  it("connects a caller of X + E to A with extendNum in every event and the CDR, then A's call back to them", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const { sim, bind } = await start({ url: rx.url });
    const b = await bind({ bindNum: A, virtualNum: X, extendNum: "0042", userData: "order-1" });
    const subscriptionId = String(b.subscriptionId);

    const inbound = await sim.simulateCall("axe", { subscriptionId, from: "b", peer: PEER, answered: false });
    expect(inbound).toMatchObject({ caller: PEER, called: A });
    await sim.pushesIdle();
    const events = eventsOf(rx.pushes);
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(e).toMatchObject({ extendNum: "0042", subscriptionId, caller: PEER });
    expect(feeOf(rx.pushes)).toMatchObject({
      extendNum: "0042",
      bindNum: X,
      callerNum: PEER,
      fwdDisplayNum: X,
    });
    expect(sim.bindings("axe")[0]).toMatchObject({ extension: "0042", callbackParty: PEER });
    expect(sim.bindings("axe")[0]).not.toHaveProperty("callbackExpiresAtMs");
    rx.pushes.length = 0;

    // Unanswered still counts: A calls back the missed caller.
    const back = await sim.simulateCall("axe", { subscriptionId, from: "a" });
    expect(back).toMatchObject({
      caller: A,
      called: PEER,
      pushed: ["callin", "alerting", "answer", "disconnect", "fee"],
    });
    await sim.pushesIdle();
    expect(eventsOf(rx.pushes).at(-1)).toMatchObject({ called: PEER, stateCode: 0, extendNum: "0042" });
    expect(feeOf(rx.pushes)).toMatchObject({
      callerNum: A,
      fwdDstNum: PEER,
      direction: 0,
      extendNum: "0042",
    });
  });

  it("keeps the last caller only, until callbackExpiredTime; then callbackNum, else the tone or nothing", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const { sim, bind, clock, call } = await start({ url: rx.url });
    const b = await bind({
      bindNum: A,
      virtualNum: X,
      timeUnit: "1",
      callbackExpiredTime: 10,
      callbackNum: FALLBACK,
    });
    const subscriptionId = String(b.subscriptionId);
    expect((await sim.simulateCall("axe", { subscriptionId, from: "a" })).called).toBe(FALLBACK);
    await sim.simulateCall("axe", { subscriptionId, from: "b", peer: PEER });
    clock.ms += 60_000;
    await sim.simulateCall("axe", { subscriptionId, from: "b", peer: PEER2 });
    expect(sim.bindings("axe")[0]).toMatchObject({ callbackParty: PEER2, callbackExpiresAtMs: T0 + 660_000 });
    expect((await sim.simulateCall("axe", { subscriptionId, from: "a" })).called).toBe(PEER2);
    clock.ms = T0 + 660_000;
    expect(sim.bindings("axe")[0]).not.toHaveProperty("callbackParty");
    expect((await sim.simulateCall("axe", { subscriptionId, from: "a" })).called).toBe(FALLBACK);

    // The tone instead of a number: A's call is not forwarded.
    await call("PUT", AXE_PATH, { body: { subscriptionId, callbackTone: "back.wav" } });
    await sim.pushesIdle();
    rx.pushes.length = 0;
    const toned = await sim.simulateCall("axe", { subscriptionId, from: "a" });
    expect(toned).toMatchObject({ caller: A, called: X, pushed: ["callin", "disconnect", "fee"] });
    await sim.pushesIdle();
    expect(eventsOf(rx.pushes).at(-1)).toMatchObject({
      stateCode: NO_CALLBACK_STATE_CODE,
      stateDesc: "No call-back record; tone played.",
    });
    expect(feeOf(rx.pushes)).toMatchObject({ direction: 2, ulFailReason: NO_CALLBACK_STATE_CODE });
    expect(feeOf(rx.pushes)).not.toHaveProperty("fwdDstNum");
  });

  it("drops the call-back record with the binding, shows the real caller with displayNumMode 1", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const { sim, bind, call } = await start({ url: rx.url });
    const first = String((await bind({ bindNum: A, virtualNum: X, displayNumMode: "1" })).subscriptionId);
    await sim.simulateCall("axe", { subscriptionId: first, from: "b", peer: PEER });
    await sim.pushesIdle();
    expect(feeOf(rx.pushes)).toMatchObject({ fwdDisplayNum: PEER });
    await call("DELETE", AXE_PATH, { query: { subscriptionId: first } });
    const again = String((await bind({ bindNum: A, virtualNum: X })).subscriptionId);
    expect(sim.bindings("axe")[0]).not.toHaveProperty("callbackParty");
    const none = await sim.simulateCall("axe", { subscriptionId: again, from: "a" });
    expect(none).toMatchObject({ called: X, pushed: ["callin", "disconnect", "fee"] });
  });

  it("makes no call-back record when X is paused", async () => {
    const rx = await receiver("s");
    closeReceiver = rx.close;
    const { sim, bind } = await start({ url: rx.url });
    const subscriptionId = String((await bind({ bindNum: A, virtualNum: X })).subscriptionId);
    sim.setNumberStatus("axe", X, "paused");
    await sim.simulateCall("axe", { subscriptionId, from: "b", peer: PEER });
    expect(sim.bindings("axe")[0]).not.toHaveProperty("callbackParty");
  });
});
