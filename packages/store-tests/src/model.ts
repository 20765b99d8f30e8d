import {
  canPlace,
  type Entry,
  entryUsersOf,
  MODE_RULES,
  type Mode,
  type Phone,
  usersOf,
} from "@bindpool/core";

/** A store's state and rules, written plainly (scans everything): the reference the property test checks against. */
export interface ModelNumber {
  x: Phone;
  city: string | undefined;
  province: string | undefined;
  capacity: number;
  state: "active" | "draining" | "quarantined" | "retired";
  quarantineUntilMs: number;
  cooldownUntilMs: number;
  /** AXE: the extension length. */
  digits?: number | undefined;
}

export interface ModelReserve {
  orderKey: string;
  a: Phone;
  b?: Phone | undefined;
  area?: { city: string; province?: string | undefined; match: "strict" | "ladder" } | undefined;
  exclude: Phone[];
  strategy: "leastLoaded" | "pack";
  preferX?: Phone | undefined;
  /** Reserve exactly this X (adoption): only its room and the pair's rules count. */
  x?: Phone | undefined;
  /** AXE, with `x`: exactly this extension of X. */
  extension?: string | undefined;
  /** AXYB, with `x`: exactly this Y. */
  y?: Phone | undefined;
}

export type Expectation =
  | { kind: "existing"; entry: Entry }
  | { kind: "userLimit" }
  | { kind: "exhausted" }
  /** The pool is rebuilding: no new reservation without a named X. */
  | { kind: "recovering" }
  /** Any of `candidates` is a correct pick; in AXYB, with any of `yFor(x)` as its Y. */
  | { kind: "pick"; candidates: Set<Phone>; yFor?: (x: Phone) => Set<Phone> };

export class PoolModel {
  readonly numbers = new Map<Phone, ModelNumber>();
  readonly entries = new Map<string, Entry>();
  /** From a rebuild until finishRecovery. */
  recovering = false;

  constructor(readonly mode: Mode) {}

  /** Entries on X; in AXYB an entry counts on its X and on its Y. */
  load(x: Phone): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.x === x || e.y === x) n++;
    return n;
  }

  held(user: Phone): Set<Phone> {
    const out = new Set<Phone>();
    for (const e of this.entries.values()) {
      if (this.mode === "AXYB") {
        // Written out: A and B are each held on X and on Y.
        if (e.a === user || e.b === user) for (const n of [e.x, e.y]) if (n !== undefined) out.add(n);
      } else if (entryUsersOf(this.mode, e).includes(user)) out.add(e.x);
    }
    return out;
  }

  /**
   * AXE: the extension a new entry on X gets, written out here rather than taken from core: the lowest
   * number from 1 that no entry on X holds, zero-padded to X's length.
   */
  nextExtension(x: Phone): string {
    const taken = new Set<number>();
    for (const e of this.entries.values()) if (e.x === x) taken.add(Number(e.extension));
    let n = 1;
    while (taken.has(n)) n++;
    return String(n).padStart(this.numbers.get(x)?.digits ?? 4, "0");
  }

  /** AXE: whether an entry holds extension `extension` (any padding) on X. */
  extensionHeld(x: Phone, extension: string): boolean {
    for (const e of this.entries.values())
      if (e.x === x && Number(e.extension) === Number(extension)) return true;
    return false;
  }

  /** What a correct store answers to `changeB`, applying it to the model. */
  changeB(orderKey: string, token: number, b: Phone): "ok" | "lost" | "conflict" {
    const e = this.entries.get(orderKey);
    if (e === undefined || e.token !== token || e.status !== "bound" || this.mode !== "AXB") return "lost";
    if (b === e.b) return "ok";
    if (e.previousB !== undefined) {
      if (b !== e.previousB) return "conflict";
      this.entries.set(orderKey, { ...e, b, previousB: e.b });
      return "ok";
    }
    if (b === e.a || this.held(b).has(e.x)) return "conflict";
    this.entries.set(orderKey, { ...e, b, previousB: e.b });
    return "ok";
  }

  /** What a correct store answers to `settleB`, applying it to the model. */
  settleB(orderKey: string, token: number, b: Phone): "ok" | "lost" {
    const e = this.entries.get(orderKey);
    if (e === undefined || e.token !== token || e.status !== "bound" || this.mode !== "AXB") return "lost";
    if (b !== e.b && (e.previousB === undefined || b !== e.previousB)) return "lost";
    this.entries.set(orderKey, { ...e, b, previousB: undefined });
    return "ok";
  }

  takesBinds(n: ModelNumber, nowMs: number): boolean {
    const active =
      n.state === "active" ||
      (n.state === "quarantined" && n.quarantineUntilMs > 0 && n.quarantineUntilMs <= nowMs);
    return active && n.cooldownUntilMs <= nowMs && this.load(n.x) < n.capacity;
  }

  /** What a correct store answers to a reserve. */
  expect(req: ModelReserve, nowMs: number): Expectation {
    const existing = this.entries.get(req.orderKey);
    if (existing !== undefined) return { kind: "existing", entry: existing };
    // Recovering refuses new reservations, but not the recording of a binding found at the platform (`x`).
    if (this.recovering && req.x === undefined) return { kind: "recovering" };
    if (this.mode === "AXYB") return this.expectAxyb(req, nowMs);
    const users = usersOf(this.mode, req.a, req.b);
    const held = users.map((u) => this.held(u));
    if (held.some((s) => s.size >= MODE_RULES[this.mode].maxXPerUser)) return { kind: "userLimit" };
    const heldBy = new Map(users.map((u, i) => [u, held[i]!]));
    if (req.x !== undefined) {
      const n = this.numbers.get(req.x);
      const fits =
        n !== undefined &&
        !req.exclude.includes(n.x) &&
        !(this.mode === "AXE" && req.extension !== undefined && this.extensionHeld(n.x, req.extension)) &&
        canPlace(this.mode, { x: n.x, load: this.load(n.x), capacity: n.capacity }, users, (u) =>
          heldBy.get(u),
        );
      return fits ? { kind: "pick", candidates: new Set([n.x]) } : { kind: "exhausted" };
    }
    const eligible = [...this.numbers.values()].filter(
      (n) =>
        this.takesBinds(n, nowMs) &&
        !req.exclude.includes(n.x) &&
        canPlace(this.mode, { x: n.x, load: this.load(n.x), capacity: n.capacity }, users, (u) =>
          heldBy.get(u),
        ),
    );
    const rungs = this.rungs(req.area);
    const preferred = eligible.find((n) => n.x === req.preferX);
    // Sticky: the preferred X wins when it is eligible and in the area (a ladder's last rung takes any X).
    if (preferred !== undefined && rungs.some((inRung) => inRung(preferred))) {
      return { kind: "pick", candidates: new Set([preferred.x]) };
    }
    for (const rung of rungs) {
      const inRung = eligible.filter(rung);
      if (inRung.length === 0) continue;
      const loads = inRung.map((n) => this.load(n.x));
      const best = req.strategy === "leastLoaded" ? Math.min(...loads) : Math.max(...loads);
      return {
        kind: "pick",
        candidates: new Set(inRung.filter((_, i) => loads[i] === best).map((n) => n.x)),
      };
    }
    return { kind: "exhausted" };
  }

  /**
   * AXYB, written out: a number fits the pair when it is under capacity (entries count on X and Y) and
   * neither A nor B is on it. X is picked as in AXB; then Y, the same way among the other numbers; no Y
   * is `exhausted`. An adoption names both, which must fit and differ.
   */
  private expectAxyb(req: ModelReserve, nowMs: number): Expectation {
    const users = req.b === undefined ? [req.a] : [req.a, req.b];
    const held = users.map((u) => this.held(u));
    const fits = (n: ModelNumber | undefined): n is ModelNumber =>
      n !== undefined &&
      !req.exclude.includes(n.x) &&
      this.load(n.x) < n.capacity &&
      !held.some((s) => s.has(n.x));
    if (req.x !== undefined) {
      const x = this.numbers.get(req.x);
      const y = req.y === undefined ? undefined : this.numbers.get(req.y);
      if (!fits(x) || !fits(y) || x.x === y.x) return { kind: "exhausted" };
      return { kind: "pick", candidates: new Set([x.x]), yFor: () => new Set([y.x]) };
    }
    const eligible = [...this.numbers.values()].filter((n) => this.takesBinds(n, nowMs) && fits(n));
    const rungs = this.rungs(req.area);
    const best = (among: ModelNumber[]): Set<Phone> | undefined => {
      for (const rung of rungs) {
        const inRung = among.filter(rung);
        if (inRung.length === 0) continue;
        const loads = inRung.map((n) => this.load(n.x));
        const want = req.strategy === "leastLoaded" ? Math.min(...loads) : Math.max(...loads);
        return new Set(inRung.filter((_, i) => loads[i] === want).map((n) => n.x));
      }
      return undefined;
    };
    const preferred = eligible.find((n) => n.x === req.preferX);
    const xs =
      preferred !== undefined && rungs.some((inRung) => inRung(preferred))
        ? new Set([preferred.x])
        : best(eligible);
    const yFor = (x: Phone) => best(eligible.filter((n) => n.x !== x)) ?? new Set<Phone>();
    if (xs === undefined || yFor([...xs][0]!).size === 0) return { kind: "exhausted" };
    return { kind: "pick", candidates: xs, yFor };
  }

  private rungs(area: ModelReserve["area"]): ((n: ModelNumber) => boolean)[] {
    if (area === undefined) return [() => true];
    const city = (n: ModelNumber) => n.city === area.city;
    if (area.match === "strict") return [city];
    const province =
      area.province ?? [...this.numbers.values()].find((n) => n.city === area.city && n.province)?.province;
    return [city, (n) => province !== undefined && n.province === province, () => true];
  }
}
