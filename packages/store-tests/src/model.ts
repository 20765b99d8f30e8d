import { canPlace, type Entry, MODE_RULES, type Mode, type Phone, usersOf } from "@bindpool/core";

/** A store's state and rules, written plainly (scans everything): the reference the property test checks against. */
export interface ModelNumber {
  x: Phone;
  city: string | undefined;
  province: string | undefined;
  capacity: number;
  state: "active" | "draining" | "quarantined" | "retired";
  quarantineUntilMs: number;
  cooldownUntilMs: number;
}

export interface ModelReserve {
  orderKey: string;
  a: Phone;
  b?: Phone | undefined;
  area?: { city: string; province?: string | undefined; match: "strict" | "ladder" } | undefined;
  exclude: Phone[];
  strategy: "leastLoaded" | "pack";
  preferX?: Phone | undefined;
}

export type Expectation =
  | { kind: "existing"; entry: Entry }
  | { kind: "userLimit" }
  | { kind: "exhausted" }
  /** The pool is rebuilding: no new reservation without a named X. */
  | { kind: "recovering" }
  /** Any of `candidates` is a correct pick. */
  | { kind: "pick"; candidates: Set<Phone> };

export class PoolModel {
  readonly numbers = new Map<Phone, ModelNumber>();
  readonly entries = new Map<string, Entry>();
  /** From a rebuild until finishRecovery. */
  recovering = false;

  constructor(readonly mode: Mode) {}

  load(x: Phone): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.x === x) n++;
    return n;
  }

  held(user: Phone): Set<Phone> {
    const out = new Set<Phone>();
    for (const e of this.entries.values()) if (usersOf(this.mode, e.a, e.b).includes(user)) out.add(e.x);
    return out;
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
    if (this.recovering) return { kind: "recovering" };
    const users = usersOf(this.mode, req.a, req.b);
    const held = users.map((u) => this.held(u));
    if (held.some((s) => s.size >= MODE_RULES[this.mode].maxXPerUser)) return { kind: "userLimit" };
    const heldBy = new Map(users.map((u, i) => [u, held[i]!]));
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

  private rungs(area: ModelReserve["area"]): ((n: ModelNumber) => boolean)[] {
    if (area === undefined) return [() => true];
    const city = (n: ModelNumber) => n.city === area.city;
    if (area.match === "strict") return [city];
    const province =
      area.province ?? [...this.numbers.values()].find((n) => n.city === area.city && n.province)?.province;
    return [city, (n) => province !== undefined && n.province === province, () => true];
  }
}
