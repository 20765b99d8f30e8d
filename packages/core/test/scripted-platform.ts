import {
  Allocator,
  type AllocatorOptions,
  type BindRequest,
  MemoryStore,
  type ModifyRequest,
  type NumberConfig,
  type Outcome,
  type PlatformDriver,
  type QueryRequest,
  type QueryResult,
} from "../src/index.js";

/**
 * An in-process platform that keeps real bindings and answers from a script first: it exercises the
 * allocator's branches that a live platform produces rarely. End-to-end tests against the simulator over
 * HTTP live in @bindpool/huawei.
 */
export class ScriptedPlatform implements PlatformDriver {
  readonly bindings = new Map<string, BindRequest>();
  readonly calls: string[] = [];
  /** Answers to hand out before binding for real, per X (or "*" for any). */
  readonly script = new Map<string, Outcome<never>[]>();
  /** Binds that go through but answer a timeout. */
  timeoutAfterBind = 0;
  /** Binds that go through but answer a transient error (the connection dropped after sending). */
  resetAfterBind = 0;
  /** When each binding was made, by this platform's clock. */
  readonly boundAt = new Map<string, number>();
  private next = 1;

  constructor(private readonly now: () => number = Date.now) {}

  async bind(req: BindRequest) {
    this.calls.push(`bind ${req.x}`);
    const queue = this.script.get(req.x) ?? this.script.get("*");
    const scripted = queue?.shift();
    if (scripted) return scripted;
    const taken = [...this.bindings.values()].some(
      (b) =>
        (b.x === req.x &&
          ([b.a, b.b].some((u) => u !== undefined && (u === req.a || u === req.b)) ||
            (req.extension !== undefined && b.extension === req.extension))) ||
        // AXYB: X carries one A (nothing else shares it); a Y is shared without a repeated user.
        (req.mode === "AXYB" &&
          (b.x === req.x ||
            b.y === req.x ||
            b.x === req.y ||
            (b.y === req.y && [b.a, b.b].some((u) => u === req.a || u === req.b)))),
    );
    if (taken) return { kind: "conflict", code: "1012010", message: "already bound" } as const;
    const subscriptionId = `sub-${this.next++}`;
    this.bindings.set(subscriptionId, req);
    this.boundAt.set(subscriptionId, this.now());
    await this.onBind?.(req);
    if (this.resetAfterBind > 0) {
      this.resetAfterBind--;
      return { kind: "transient", code: "ECONNRESET", message: "socket hang up" } as const;
    }
    if (this.timeoutAfterBind > 0) {
      this.timeoutAfterBind--;
      return { kind: "timeout", code: "TIMEOUT", message: "no answer" } as const;
    }
    const extension = req.extension === undefined ? {} : { extension: req.extension };
    const y = req.y === undefined ? {} : { y: req.y };
    return { kind: "ok", value: { subscriptionId, x: req.x, ...extension, ...y } } as const;
  }
  async unbind(req: { subscriptionId: string }) {
    this.calls.push(`unbind ${req.subscriptionId}`);
    if (this.failUnbinds > 0) {
      this.failUnbinds--;
      return { kind: "transient", code: "1010001", message: "scripted failure" } as const;
    }
    return this.bindings.delete(req.subscriptionId)
      ? ({ kind: "ok", value: undefined } as const)
      : ({ kind: "notFound", code: "1012007", message: "record does not exist" } as const);
  }
  /** Modify answers, in order, before modifying for real. */
  readonly modifyScript: Outcome<never>[] = [];
  /** Unbinds that fail before unbinding for real. */
  failUnbinds = 0;

  /** Runs before a modify is applied (the request is slow to arrive). */
  onModify: ((req: ModifyRequest) => Promise<void>) | undefined;

  async modify(req: ModifyRequest) {
    this.calls.push(`modify ${req.subscriptionId}`);
    await this.onModify?.(req);
    const scripted = this.modifyScript.shift();
    if (scripted) return scripted;
    const b = this.bindings.get(req.subscriptionId);
    if (b === undefined)
      return { kind: "notFound", code: "1012007", message: "record does not exist" } as const;
    this.bindings.set(req.subscriptionId, {
      ...b,
      ...(req.b ? { b: req.b } : {}),
      ...(req.durationSeconds ? { durationSeconds: req.durationSeconds } : {}),
    });
    return { kind: "ok", value: undefined } as const;
  }
  /**
   * Runs before a query is answered ("before") and after its answer is computed but before it is returned
   * ("after"): a test's way to change the platform between pages, or while an answer is on its way.
   */
  onQuery: ((req: QueryRequest, phase: "before" | "after") => Promise<void>) | undefined;
  /** Runs after a bind went through, before it is answered (the answer is slow). */
  onBind: ((req: BindRequest) => Promise<void>) | undefined;
  /** Bindings per page of a query that names a page (the platform pages X listings by 100). */
  pageSize = 100;

  async query(req: QueryRequest): Promise<Outcome<QueryResult>> {
    this.calls.push("query");
    await this.onQuery?.(req, "before");
    const result = this.answer(req);
    await this.onQuery?.(req, "after");
    return result;
  }

  private answer(req: QueryRequest): Outcome<QueryResult> {
    const found = [...this.bindings.entries()]
      .filter(([id, b]) =>
        "subscriptionId" in req
          ? id === req.subscriptionId
          : b.x === req.x &&
            (req.a === undefined || b.a === req.a) &&
            (req.extension === undefined || b.extension === req.extension),
      )
      .filter(([, b]) => !("b" in req) || req.b === undefined || b.b === req.b)
      .map(([subscriptionId, b]) => ({
        subscriptionId,
        x: b.x,
        a: b.a,
        b: b.b,
        extension: b.extension,
        y: b.y,
        userData: b.userData,
        durationSeconds: b.durationSeconds,
        boundAtMs: this.boundAt.get(subscriptionId),
      }));
    if (req.mode === "AXE" && !("subscriptionId" in req) && req.extension === undefined) {
      // AXE lists X by cursor: here the subscriptionId to go on after (ids only grow, so a binding
      // present for the whole listing is never skipped).
      const after = Number(req.cursor ?? 0);
      const rest = found.filter((b) => Number(b.subscriptionId.slice(4)) > after);
      const bindings = rest.slice(0, this.pageSize);
      const last = bindings.at(-1)?.subscriptionId.slice(4);
      const nextCursor = rest.length > bindings.length ? last : undefined;
      return { kind: "ok", value: { bindings, total: bindings.length, nextCursor } };
    }
    const page = "page" in req ? req.page : undefined;
    const bindings =
      page === undefined ? found : found.slice((page - 1) * this.pageSize, page * this.pageSize);
    return { kind: "ok", value: { bindings, total: found.length } };
  }
}

/**
 * An allocator of pool "rides" (AXB) on a MemoryStore and a scripted platform, both on one fake clock
 * that starts at 1 000 000 ms and moves only when the test advances it.
 */
export function scriptedAllocator(over: Partial<AllocatorOptions>, numbers: NumberConfig[]) {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const store = new MemoryStore();
  const platform = new ScriptedPlatform(() => now);
  const allocator = new Allocator({
    store,
    driver: platform,
    pools: [{ id: "rides", mode: "AXB", numbers }],
    backoffMs: 1,
    clock: clock.now,
    ...over,
  });
  return { store, platform, allocator, clock };
}
