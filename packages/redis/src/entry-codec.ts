import type { Entry, NumberState } from "@bindpool/core";

/** Reads a number written by the Lua `enc`: base 36 for non-negative integers, else `=` and the decimal. */
export function decodeNumber(s: string): number {
  return s.startsWith("=") ? Number(s.slice(1)) : Number.parseInt(s, 36);
}

/** Unpacks `xid|token|status|untilMs|a|b|subscriptionId` (see keys.ts) into an Entry. */
export function decodeEntry(pool: string, orderKey: string, packed: string, x: string): Entry {
  const f = packed.split("|");
  const [, token = "0", status, untilMs = "0", a = "", b = ""] = f;
  const subscriptionId = f.slice(6).join("|");
  return {
    pool,
    orderKey,
    x,
    a,
    b: b === "" ? undefined : b,
    token: decodeNumber(token),
    status: status === "b" ? "bound" : "reserved",
    untilMs: decodeNumber(untilMs),
    subscriptionId: status === "b" ? subscriptionId : undefined,
  };
}

/** Entries from a flat `[orderKey, packed, x, ...]` script reply. */
export function decodeEntryRows(pool: string, rows: readonly string[]): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i + 2 < rows.length; i += 3) {
    out.push(decodeEntry(pool, rows[i]!, rows[i + 1]!, rows[i + 2]!));
  }
  return out;
}

const STATE_LETTER: Readonly<Record<NumberState, string>> = {
  active: "a",
  draining: "d",
  quarantined: "q",
  retired: "r",
};
const LETTER_STATE = new Map(Object.entries(STATE_LETTER).map(([s, l]) => [l, s as NumberState]));

/** One-letter form of a number state, as the number records keep it. */
export function stateLetter(state: NumberState): string {
  return STATE_LETTER[state];
}

/** A number record `x|state|load|capacity|cooldownUntilMs|quarantineUntilMs|city|province`, unpacked. */
export interface NumberRecord {
  readonly x: string;
  readonly state: NumberState;
  readonly load: number;
  readonly capacity: number;
  readonly cooldownUntilMs: number;
  readonly quarantineUntilMs: number;
}

export function decodeNumberRecord(packed: string): NumberRecord {
  const [x = "", state = "a", load = "0", capacity = "0", cool = "0", quar = "0"] = packed.split("|");
  return {
    x,
    state: LETTER_STATE.get(state) ?? "active",
    load: Number(load),
    capacity: Number(capacity),
    cooldownUntilMs: Number(cool),
    quarantineUntilMs: Number(quar),
  };
}
