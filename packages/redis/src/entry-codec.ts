import type { Entry, NumberState } from "@bindpool/core";

/** Reads a number written by the Lua `enc`: base 36 for non-negative integers, else `=` and the decimal. */
export function decodeNumber(s: string): number {
  return s.startsWith("=") ? Number(s.slice(1)) : Number.parseInt(s, 36);
}

const STATUS: Readonly<Record<string, Entry["status"]>> = { r: "reserved", b: "bound", l: "releasing" };

/**
 * Unpacks `xid|token|status|untilMs|a|b[,previousB][|subscriptionId]` (see keys.ts) into an Entry; status
 * r(eserved), b(ound), l (releasing). The subscriptionId part is present only when the entry has one, the
 * previousB only while a changeB is not settled. AXE entries (no B) have `#extension` in B's place, AXYB
 * entries `b@yid`. `numbers` is the entry's X as the scripts reply it, `x,y` in AXYB.
 */
export function decodeEntry(pool: string, orderKey: string, packed: string, numbers: string): Entry {
  const f = packed.split("|");
  const [, token = "0", status = "r", untilMs = "0", a = "", bs = ""] = f;
  const extension = bs.startsWith("#") ? bs.slice(1) : undefined;
  const at = bs.indexOf("@");
  const [b = "", previousB] = extension !== undefined ? [] : at >= 0 ? [bs.slice(0, at)] : bs.split(",", 2);
  const comma = numbers.indexOf(",");
  const x = comma < 0 ? numbers : numbers.slice(0, comma);
  const y = comma < 0 ? undefined : numbers.slice(comma + 1);
  const subscriptionId = f.length > 6 || status === "b" ? f.slice(6).join("|") : undefined;
  return {
    pool,
    orderKey,
    x,
    a,
    b: b === "" ? undefined : b,
    ...(previousB === undefined ? {} : { previousB }),
    ...(extension === undefined ? {} : { extension }),
    ...(y === undefined ? {} : { y }),
    token: decodeNumber(token),
    status: STATUS[status] ?? "reserved",
    untilMs: decodeNumber(untilMs),
    subscriptionId: status === "r" ? undefined : subscriptionId,
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

/**
 * A number record `x|state|load|capacity|cooldownUntilMs|quarantineUntilMs|digits|city|province`, unpacked
 * (the fields read here).
 */
export interface NumberRecord {
  readonly x: string;
  readonly state: NumberState;
  readonly load: number;
  readonly capacity: number;
  readonly cooldownUntilMs: number;
  readonly quarantineUntilMs: number;
  /** AXE: the extension length; undefined in other modes. */
  readonly extensionDigits: number | undefined;
  readonly city: string | undefined;
  readonly province: string | undefined;
}

export function decodeNumberRecord(packed: string): NumberRecord {
  const [x = "", state = "a", load = "0", capacity = "0", cool = "0", quar = "0", digits, city, province] =
    packed.split("|");
  return {
    x,
    state: LETTER_STATE.get(state) ?? "active",
    load: Number(load),
    capacity: Number(capacity),
    cooldownUntilMs: Number(cool),
    quarantineUntilMs: Number(quar),
    extensionDigits: digits ? Number(digits) : undefined,
    city: city || undefined,
    province: province || undefined,
  };
}
