import {
  type BindRequest,
  MODE_RULES,
  type ModifyRequest,
  type Outcome,
  type PlatformBinding,
  type PlatformDriver,
  type QueryRequest,
  type QueryResult,
  type UnbindRequest,
  usersOf,
} from "@bindpool/core";

/** One X as the in-process platform keeps it: its bindings and the users on it. */
interface PlatformX {
  readonly bindings: Set<string>;
  readonly users: Set<string>;
}

const fail = (kind: "exhausted" | "conflict" | "notFound" | "userLimit", code: string, message: string) =>
  ({ kind, code, message }) as const;

/**
 * The platform for `bindpool plan`: keeps bindings in memory and answers at once. It holds the platform's
 * rules the plan depends on (X's capacity, a user once per X, AX's 5 X per A) with the platform's codes,
 * so a replay that broke one would show as refused orders instead of a plan that cannot work.
 */
export class PlanPlatform implements PlatformDriver {
  private readonly byId = new Map<string, PlatformBinding>();
  private readonly byX = new Map<string, PlatformX>();
  /** AX: how many X each A holds. */
  private readonly xsOfA = new Map<string, number>();
  private next = 0;

  /** @param capacityOf most bindings X carries (AXB pairs, AXE extensions, AX 1). */
  constructor(private readonly capacityOf: (x: string) => number) {}

  /** Bindings the platform holds now. */
  get size(): number {
    return this.byId.size;
  }

  async bind(req: BindRequest): ReturnType<PlatformDriver["bind"]> {
    const on = this.at(req.x);
    if (on.bindings.size >= this.capacityOf(req.x)) return fail("exhausted", "1012009", "X is full");
    const users = usersOf(req.mode, req.a, req.b);
    if (users.some((u) => on.users.has(u))) return fail("conflict", "1012010", "a number is bound on X");
    if (req.mode === "AX" && (this.xsOfA.get(req.a) ?? 0) >= MODE_RULES.AX.maxXPerUser) {
      return fail("userLimit", "1011003", "A holds the most X allowed");
    }
    const subscriptionId = `plan-${++this.next}`;
    this.byId.set(subscriptionId, {
      subscriptionId,
      x: req.x,
      a: req.a,
      b: req.b,
      extension: req.extension,
      durationSeconds: req.durationSeconds,
      userData: req.userData,
    });
    on.bindings.add(subscriptionId);
    for (const u of users) on.users.add(u);
    if (req.mode === "AX") this.xsOfA.set(req.a, (this.xsOfA.get(req.a) ?? 0) + 1);
    return { kind: "ok", value: { subscriptionId, x: req.x, extension: req.extension } };
  }

  async unbind(req: UnbindRequest): Promise<Outcome<void>> {
    const binding = this.byId.get(req.subscriptionId);
    if (binding === undefined) return fail("notFound", "1012007", "no such binding");
    this.byId.delete(req.subscriptionId);
    const on = this.at(binding.x);
    on.bindings.delete(req.subscriptionId);
    for (const u of usersOf(req.mode, binding.a, binding.b)) on.users.delete(u);
    if (req.mode === "AX") this.xsOfA.set(binding.a, (this.xsOfA.get(binding.a) ?? 1) - 1);
    return { kind: "ok", value: undefined };
  }

  async modify(req: ModifyRequest): Promise<Outcome<void>> {
    return this.byId.has(req.subscriptionId)
      ? { kind: "ok", value: undefined }
      : fail("notFound", "1012007", "no such binding");
  }

  /** Every binding on X in one page (the plan's X carry few enough), or one by subscriptionId. */
  async query(req: QueryRequest): Promise<Outcome<QueryResult>> {
    if ("subscriptionId" in req) {
      const binding = this.byId.get(req.subscriptionId);
      return { kind: "ok", value: { bindings: binding ? [binding] : [], total: binding ? 1 : 0 } };
    }
    if (req.page !== undefined && req.page > 1) {
      return { kind: "ok", value: { bindings: [], total: this.at(req.x).bindings.size } };
    }
    const bindings = [...this.at(req.x).bindings].map((id) => this.byId.get(id)!);
    const matching = bindings.filter(
      (b) => (req.a === undefined || b.a === req.a) && (req.b === undefined || b.b === req.b),
    );
    return { kind: "ok", value: { bindings: matching, total: matching.length } };
  }

  private at(x: string): PlatformX {
    let on = this.byX.get(x);
    if (on === undefined) {
      on = { bindings: new Set(), users: new Set() };
      this.byX.set(x, on);
    }
    return on;
  }
}
