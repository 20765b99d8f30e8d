import type {
  BindRequest,
  ModifyRequest,
  Outcome,
  PlatformBinding,
  PlatformDriver,
  QueryRequest,
  QueryResult,
  UnbindRequest,
} from "@bindpool/core";
import type { Owner, SimScheduler } from "./scheduler.js";

/** An X number the platform rents to the app: its mode and how many bindings it carries. */
export interface PlatformNumber {
  readonly x: string;
  readonly mode: "AXB" | "AX" | "AXE";
  /** AXB: most pairs on X. AX: ignored (one A per X). */
  readonly capacity: number;
}

/** How the network and the platform misbehave, per call; all probabilities in [0, 1]. */
export interface Faults {
  /** A 5xx answer; nothing applied. */
  transient: number;
  /** The request is lost on the way: nothing applied, the caller times out. */
  drop: number;
  /** Applied, but the answer is lost: the caller times out. */
  lostAnswer: number;
  /** The request takes `stallMs` to arrive (applied late, answered late or timed out). */
  stall: number;
  stallMs: readonly [number, number];
  /** One-way latency, ms. */
  latencyMs: readonly [number, number];
  /** The driver's own timeout, ms: no answer by then is a `timeout` outcome. */
  timeoutMs: number;
}

export const NO_FAULTS: Faults = {
  transient: 0,
  drop: 0,
  lostAnswer: 0,
  stall: 0,
  stallMs: [0, 0],
  latencyMs: [2, 20],
  timeoutMs: 10_000,
};

/** A binding as the platform model holds it. */
export interface ModelBinding {
  readonly subscriptionId: string;
  readonly x: string;
  a: string;
  b: string | undefined;
  durationSeconds: number;
  readonly boundAtMs: number;
  /** Infinity: until unbound. */
  expiresAtMs: number;
  readonly userData: string | undefined;
  /** Bind order: listings by X come in this order. */
  readonly seq: number;
  /** AXE: the extension behind X that reaches A. */
  readonly extension?: string | undefined;
}

/** The platform's own history. */
export interface PlatformEvent {
  readonly atMs: number;
  readonly kind: "bind" | "unbind" | "modify" | "expire";
  readonly subscriptionId: string;
  readonly x: string;
  readonly a: string;
  readonly b: string | undefined;
}

const PAGE_SIZE = 100;
const AX_MAX_X_PER_A = 5;

const fail = (kind: Exclude<Outcome<never>["kind"], "ok">, code: string, message: string) =>
  ({ kind, code, message }) as const;

/**
 * An in-process model of the platform (Huawei PrivateNumber's AXB, AX and AXE rules, written here on
 * their own, not taken from core): per-X capacity, a user at most once per X, AX one A per X and at most
 * 5 X per A, AXE one binding per extension of X, bindings that expire after their duration, listings by
 * X paged 100 per page in bind order (AXE: by cursor, the last binding's bind order).
 * Every answer comes back through the scheduler after a seeded latency, so answers reorder, and `faults`
 * decide per call whether it is lost, refused, applied late or applied without an answer.
 */
export class PlatformModel {
  faults: Faults = NO_FAULTS;
  readonly log: PlatformEvent[] = [];
  private readonly numbers = new Map<string, PlatformNumber>();
  private readonly bindings = new Map<string, ModelBinding>();
  /** X -> subscriptionIds in bind order. */
  private readonly onX = new Map<string, Set<string>>();
  /** X -> user -> the subscriptionId holding that user on X. */
  private readonly usersOn = new Map<string, Map<string, string>>();
  /** AX: A -> how many X it holds. */
  private readonly axHeld = new Map<string, number>();
  /** AXE: X -> extension (as a number) -> the subscriptionId on it. */
  private readonly extOn = new Map<string, Map<number, string>>();
  private nextId = 1;
  private nextSeq = 1;

  constructor(
    private readonly sched: SimScheduler,
    numbers: readonly PlatformNumber[],
  ) {
    for (const n of numbers) {
      this.numbers.set(n.x, n);
      this.onX.set(n.x, new Set());
      this.usersOn.set(n.x, new Map());
    }
  }

  /** The driver one instance uses: answers to a killed instance never arrive. */
  driverFor(owner: Owner): PlatformDriver {
    return {
      bind: (req) => this.call(owner, `bind x=${req.x}`, () => this.bind(req)),
      unbind: (req) => this.call(owner, `unbind ${req.subscriptionId}`, () => this.unbind(req)),
      modify: (req) => this.call(owner, `modify ${req.subscriptionId}`, () => this.modify(req)),
      query: (req) =>
        this.call(
          owner,
          "subscriptionId" in req
            ? `query ${req.subscriptionId}`
            : `query x=${req.x}${req.a ? ` a=${req.a}` : ""}${req.b ? ` b=${req.b}` : ""}${req.page ? ` page ${req.page}` : ""}`,
          () => this.query(req),
        ),
    };
  }

  get(subscriptionId: string): ModelBinding | undefined {
    return this.bindings.get(subscriptionId);
  }

  all(): IterableIterator<ModelBinding> {
    return this.bindings.values();
  }

  get size(): number {
    return this.bindings.size;
  }

  /** A binding made by someone else with the same app (an operator, another system). */
  bindDirectly(req: BindRequest): Outcome<{ subscriptionId: string; x: string }> {
    return this.bind(req);
  }

  private call<T>(owner: Owner, op: string, apply: () => Outcome<T>): Promise<Outcome<T>> {
    const f = this.faults;
    const r = this.sched.random;
    const latency = () => r.between(f.latencyMs[0], f.latencyMs[1]);
    return new Promise((resolve) => {
      let done = false;
      const answer = (outcome: Outcome<T>) => {
        if (done) return;
        done = true;
        resolve(outcome);
      };
      this.sched.at(
        f.timeoutMs,
        () => answer(fail("timeout", "TIMEOUT", `no answer in ${f.timeoutMs} ms`)),
        owner,
      );
      if (r.chance(f.transient)) {
        this.sched.at(2 * latency(), () => answer(fail("transient", "500", "internal error")), owner);
        return;
      }
      if (r.chance(f.drop)) return;
      const arrive = r.chance(f.stall) ? r.between(f.stallMs[0], f.stallMs[1]) : latency();
      const lost = r.chance(f.lostAnswer);
      const back = latency();
      this.sched.at(arrive, () => {
        const outcome = apply();
        if (outcome.kind !== "ok" || op.startsWith("query")) {
          this.sched.log(
            `platform ${op} <- ${owner ?? "-"}: ${outcome.kind}${outcome.kind === "ok" ? "" : ` ${outcome.code}`}`,
          );
        }
        if (!lost) this.sched.at(back, () => answer(outcome), owner);
      });
    });
  }

  private bind(req: BindRequest): Outcome<{ subscriptionId: string; x: string }> {
    const n = this.numbers.get(req.x);
    if (n === undefined) return fail("numberAbnormal", "1012102", "not a number of this app");
    if (n.mode !== req.mode) return fail("modeMismatch", "1010040", "the number is of another mode");
    const count = this.onX.get(req.x)!.size;
    const users = this.usersOn.get(req.x)!;
    let b: string | undefined;
    if (n.mode === "AXE") {
      const ext = Number(req.extension);
      if (!(ext > 0) || req.b !== undefined) return fail("invalidParam", "1010002", "bad AXE bind");
      if (this.extOf(req.x).has(ext)) return fail("conflict", "1012010", "the extension is taken");
      if (users.has(req.a)) return fail("conflict", "1012010", "A is bound on X");
      if (count >= n.capacity) return fail("exhausted", "1020167", "no idle extension");
    } else if (n.mode === "AXB") {
      if (req.b === undefined || req.a === req.b) return fail("invalidParam", "1010002", "bad pair");
      b = req.b;
      if (users.has(req.a) || users.has(b)) return fail("conflict", "1012010", "a number is bound on X");
      if (count >= n.capacity) return fail("exhausted", "1012009", "X is full");
    } else {
      if (count > 0) return fail("conflict", "1011005", "X is allocated");
      if ((this.axHeld.get(req.a) ?? 0) >= AX_MAX_X_PER_A) {
        return fail("userLimit", "1011003", "A holds the most X");
      }
    }
    const now = this.sched.nowMs;
    // AX bindings stay until unbound; AXB ones live their duration (0: until unbound).
    const durationSeconds = n.mode === "AX" ? 0 : req.durationSeconds;
    const binding: ModelBinding = {
      subscriptionId: `sub-${this.nextId++}`,
      x: req.x,
      a: req.a,
      b,
      durationSeconds,
      boundAtMs: now,
      expiresAtMs: durationSeconds > 0 ? now + durationSeconds * 1000 : Number.POSITIVE_INFINITY,
      userData: req.userData,
      seq: this.nextSeq++,
      ...(n.mode === "AXE" ? { extension: req.extension } : {}),
    };
    this.bindings.set(binding.subscriptionId, binding);
    this.onX.get(req.x)!.add(binding.subscriptionId);
    this.hold(binding, true);
    if (binding.extension !== undefined)
      this.extOf(req.x).set(Number(binding.extension), binding.subscriptionId);
    this.scheduleExpiry(binding);
    this.record("bind", binding);
    const extension = binding.extension === undefined ? {} : { extension: binding.extension };
    return { kind: "ok", value: { subscriptionId: binding.subscriptionId, x: req.x, ...extension } };
  }

  private unbind(req: UnbindRequest): Outcome<void> {
    const binding = this.bindings.get(req.subscriptionId);
    if (binding === undefined) return fail("notFound", "1012007", "no such binding");
    this.remove(binding, "unbind");
    return { kind: "ok", value: undefined };
  }

  private modify(req: ModifyRequest): Outcome<void> {
    const binding = this.bindings.get(req.subscriptionId);
    if (binding === undefined) return fail("notFound", "1012007", "no such binding");
    if (this.numbers.get(binding.x)!.mode === "AXB") {
      const a = req.a ?? binding.a;
      const b = req.b ?? binding.b;
      if (a === b) return fail("invalidParam", "1010002", "a and b must differ");
      const users = this.usersOn.get(binding.x)!;
      for (const u of [a, b]) {
        const holder = u === undefined ? undefined : users.get(u);
        if (holder !== undefined && holder !== binding.subscriptionId) {
          return fail("conflict", "1012010", "a number is bound on X");
        }
      }
      this.hold(binding, false);
      binding.a = a;
      binding.b = b;
      this.hold(binding, true);
    }
    if (req.durationSeconds !== undefined && binding.durationSeconds > 0) {
      // The platform counts a new duration from now.
      binding.durationSeconds = req.durationSeconds;
      binding.expiresAtMs = this.sched.nowMs + req.durationSeconds * 1000;
      this.scheduleExpiry(binding);
    }
    this.record("modify", binding);
    return { kind: "ok", value: undefined };
  }

  private query(req: QueryRequest): Outcome<QueryResult> {
    if ("subscriptionId" in req) {
      const binding = this.bindings.get(req.subscriptionId);
      if (binding === undefined) return fail("notFound", "1012007", "no such binding");
      return { kind: "ok", value: { bindings: [this.view(binding)], total: 1 } };
    }
    const ids = this.onX.get(req.x);
    if (ids === undefined) return fail("numberAbnormal", "1012102", "not a number of this app");
    if (req.extension !== undefined) {
      const id = this.extOf(req.x).get(Number(req.extension));
      const h = id === undefined ? undefined : this.bindings.get(id);
      if (h === undefined) return fail("notFound", "1016001", "no such binding");
      return { kind: "ok", value: { bindings: [this.view(h)], total: 1 } };
    }
    if (req.a !== undefined || req.b !== undefined) {
      // One user is on X at most once: the binding holding it, if its roles match.
      const id = this.usersOn.get(req.x)!.get((req.a ?? req.b)!);
      const h = id === undefined ? undefined : this.bindings.get(id);
      if (
        h === undefined ||
        (req.a !== undefined && h.a !== req.a) ||
        (req.b !== undefined && h.b !== req.b)
      ) {
        return fail("notFound", "1012007", "no such binding");
      }
      return { kind: "ok", value: { bindings: [this.view(h)], total: 1 } };
    }
    if (this.numbers.get(req.x)!.mode === "AXE") {
      // Cursor paging: the bindings made after the cursor's one, in bind order; a binding that stays
      // bound for the whole listing is never skipped.
      const after = Number(req.cursor ?? 0);
      const rest = [...ids].map((id) => this.bindings.get(id)!).filter((h) => h.seq > after);
      const slice = rest.slice(0, PAGE_SIZE);
      const nextCursor = rest.length > slice.length ? String(slice.at(-1)!.seq) : undefined;
      return {
        kind: "ok",
        value: { bindings: slice.map((h) => this.view(h)), total: slice.length, nextCursor },
      };
    }
    const page = req.page ?? 1;
    const all = [...ids];
    const slice = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    return {
      kind: "ok",
      value: { bindings: slice.map((id) => this.view(this.bindings.get(id)!)), total: all.length },
    };
  }

  private view(h: ModelBinding): PlatformBinding {
    return {
      subscriptionId: h.subscriptionId,
      x: h.x,
      a: h.a,
      b: h.b,
      ...(h.extension === undefined ? {} : { extension: h.extension }),
      durationSeconds: h.durationSeconds,
      boundAtMs: h.boundAtMs,
      userData: h.userData,
    };
  }

  private extOf(x: string): Map<number, string> {
    let on = this.extOn.get(x);
    if (on === undefined) {
      on = new Map();
      this.extOn.set(x, on);
    }
    return on;
  }

  /** An event at the binding's end removes it, unless it was unbound or extended meanwhile. */
  private scheduleExpiry(binding: ModelBinding): void {
    if (!Number.isFinite(binding.expiresAtMs)) return;
    this.sched.at(binding.expiresAtMs - this.sched.nowMs, () => {
      const h = this.bindings.get(binding.subscriptionId);
      if (h !== undefined && h.expiresAtMs <= this.sched.nowMs) this.remove(h, "expire");
    });
  }

  private remove(binding: ModelBinding, kind: "unbind" | "expire"): void {
    this.bindings.delete(binding.subscriptionId);
    this.onX.get(binding.x)!.delete(binding.subscriptionId);
    this.hold(binding, false);
    if (binding.extension !== undefined) this.extOf(binding.x).delete(Number(binding.extension));
    this.record(kind, binding);
  }

  /** Marks the binding's users as held on its X (or no longer). */
  private hold(h: ModelBinding, on: boolean): void {
    const users = this.usersOn.get(h.x)!;
    for (const u of h.b === undefined ? [h.a] : [h.a, h.b]) {
      if (on) users.set(u, h.subscriptionId);
      else if (users.get(u) === h.subscriptionId) users.delete(u);
    }
    if (this.numbers.get(h.x)!.mode === "AX")
      this.axHeld.set(h.a, (this.axHeld.get(h.a) ?? 0) + (on ? 1 : -1));
  }

  private record(kind: PlatformEvent["kind"], h: ModelBinding): void {
    const atMs = this.sched.nowMs;
    this.log.push({ atMs, kind, subscriptionId: h.subscriptionId, x: h.x, a: h.a, b: h.b });
    this.sched.log(`platform ${kind} ${h.subscriptionId} x=${h.x} a=${h.a} b=${h.b ?? "-"}`);
  }
}
