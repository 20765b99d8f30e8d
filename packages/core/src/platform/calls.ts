import type {
  CalleeRequest,
  Failure,
  Outcome,
  PlatformBinding,
  PlatformDriver,
  QueryRequest,
} from "../driver/index.js";
import type { Events } from "../events/index.js";
import {
  type Entry,
  type Mode,
  orderKeyFromUserData,
  owningOrder,
  type Phone,
  sameExtension,
} from "../model/index.js";
import { assertLockHeld } from "../orders/serialiser.js";
import type { ParsedPool, Scheduler, Tuning } from "../runtime/tuning.js";

/**
 * The platform as the allocator and its jobs call it: every call timed and reported (`platformCall`),
 * retried with backoff on transient answers (timeouts too, where repeating is harmless), never sent for
 * an order whose cross-process lock was lost, and a driver that throws read as a transient failure.
 */
export class PlatformCalls {
  constructor(
    private readonly driver: PlatformDriver,
    private readonly tuning: Tuning,
    private readonly events: Events,
    private readonly now: () => number,
    private readonly scheduler: Scheduler,
  ) {}

  bind(pool: ParsedPool, entry: Entry, durationSeconds: number, userData: string | undefined) {
    return this.call("bind", () =>
      this.driver.bind({
        mode: pool.mode,
        x: entry.x,
        a: entry.a,
        b: entry.b,
        extension: entry.extension,
        y: entry.y,
        // AXYB lifetimes are 0 or at least 60 s; a shorter order keeps the binding a little longer.
        durationSeconds: pool.mode === "AXYB" ? Math.max(60, durationSeconds) : durationSeconds,
        userData,
      }),
    );
  }

  /** Modifies a binding; setting the same values twice is harmless, so timeouts are retried too. */
  modify(mode: Mode, subscriptionId: string, change: { b?: Phone; durationSeconds?: number }) {
    return this.withRetries(
      undefined,
      () => this.call("modify", () => this.driver.modify({ mode, subscriptionId, ...change })),
      true,
    );
  }

  /** Sets an AX binding's temporary callee; setting it twice is harmless, so timeouts are retried too. */
  setCallee(req: CalleeRequest) {
    const set = this.driver.setCallee?.bind(this.driver);
    if (set === undefined) {
      const failure = {
        kind: "invalidParam",
        code: "NO_SET_CALLEE",
        message: "the driver cannot set a callee",
      };
      return Promise.resolve(failure as Outcome<void>);
    }
    return this.withRetries(undefined, () => this.call("setCallee", () => set(req)), true);
  }

  /** Whether the driver can set a temporary callee (AX). */
  get setsCallee(): boolean {
    return this.driver.setCallee !== undefined;
  }

  /** The platform's binding of a subscriptionId (`undefined` when it has none): a read that cannot miss. */
  async querySubscription(mode: Mode, subscriptionId: string): Promise<Outcome<PlatformBinding | undefined>> {
    const outcome = await this.lookup({ mode, subscriptionId });
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.find((b) => b.subscriptionId === subscriptionId) };
  }

  /**
   * Asks the platform for the binding of (X, A, B), in AXE of (X, extension), in AXYB of (X, A, Y, B),
   * if it exists.
   */
  async findBinding(mode: Mode, entry: Slot): Promise<Outcome<PlatformBinding | undefined>> {
    const outcome = await this.lookup(
      mode === "AXE" && entry.extension !== undefined
        ? { mode, x: entry.x, extension: entry.extension }
        : mode === "AXYB"
          ? { mode, x: entry.x }
          : mode === "AXB" && entry.b !== undefined
            ? { mode, x: entry.x, a: entry.a, b: entry.b }
            : { mode, x: entry.x, a: entry.a },
    );
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.find((b) => samePair(mode, b, entry)) };
  }

  /**
   * The platform's bindings on X, other than the pair's own, that hold a user of the pair (as A or as B
   * in AXB; X's one A in AX; in AXE the binding on the entry's extension): what a conflict answer is about.
   */
  async findBlockers(mode: Mode, entry: Slot): Promise<Outcome<PlatformBinding[]>> {
    const { x } = entry;
    const users = [entry.a, ...(mode === "AXB" && entry.b !== undefined ? [entry.b] : [])];
    const queries: QueryRequest[] =
      mode === "AX" || mode === "AXYB"
        ? [{ mode, x }]
        : mode === "AXE"
          ? [{ mode, x, extension: entry.extension ?? "" }]
          : users.flatMap((u) => [
              { mode, x, a: u },
              { mode, x, b: u },
            ]);
    // At once: the allocation that got the conflict waits for them.
    const outcomes = await Promise.all(queries.map((q) => this.lookup(q)));
    const found = new Map<string, PlatformBinding>();
    for (const outcome of outcomes) {
      if (outcome.kind !== "ok") return outcome;
      for (const b of outcome.value) {
        // AXYB: X carries one A at the platform, so any other binding on X blocks it.
        const holdsUser = mode !== "AXB" || users.includes(b.a) || (b.b !== undefined && users.includes(b.b));
        if (b.x === x && holdsUser && !samePair(mode, b, entry)) found.set(b.subscriptionId, b);
      }
    }
    return { kind: "ok", value: [...found.values()] };
  }

  /**
   * One page of the platform's bindings on X: `page` counts from 1; a cursor-paged listing (AXE) goes on
   * with the answer's `nextCursor`. Without `at`, the mode's first page.
   */
  queryX(mode: Mode, x: Phone, at: { readonly page?: number; readonly cursor?: string } = firstPage(mode)) {
    return this.withRetries(undefined, () => this.call("query", () => this.driver.query({ mode, x, ...at })));
  }

  /**
   * Unbinds an entry at the platform: by its subscriptionId, or, for a reservation, whatever the platform
   * holds for (X, A, B). `done` when nothing is bound any more ("not found" counts as done); `removed`
   * when the platform had the binding and dropped it now (false: it was already gone).
   */
  async unbind(
    mode: Mode,
    entry: Entry,
  ): Promise<{ done: true; removed: boolean } | { done: false; failure: Failure }> {
    let subscriptionId = entry.subscriptionId;
    if (subscriptionId === undefined) {
      const found = await this.findBinding(mode, entry);
      if (found.kind !== "ok") return { done: false, failure: found };
      // The pair's binding on X may be another order's by now (this reservation was freed and the pair
      // came back on X): leave a binding whose userData names another order alone.
      const named = orderKeyFromUserData(found.value?.userData);
      if (named !== undefined && named !== owningOrder(entry.orderKey)) return { done: true, removed: false };
      subscriptionId = found.value?.subscriptionId;
      if (subscriptionId === undefined) return { done: true, removed: false };
    }
    const id = subscriptionId;
    // Unbinding twice is harmless (the second answers "not found"), so timeouts are retried too.
    const outcome = await this.withRetries(
      entry,
      () => this.call("unbind", () => this.driver.unbind({ mode, subscriptionId: id })),
      true,
    );
    if (outcome.kind === "ok" || outcome.kind === "notFound")
      return { done: true, removed: outcome.kind === "ok" };
    return { done: false, failure: outcome };
  }

  /**
   * AXYB: removes only the YB relation (B on Y) of a binding; A stays bound on X. Removing it twice is
   * harmless ("not found" counts as done), so timeouts are retried too.
   */
  async unbindYB(entry: Entry & { y: Phone; subscriptionId: string }): Promise<Outcome<void>> {
    const { subscriptionId, y } = entry;
    const outcome = await this.withRetries(
      entry,
      () => this.call("unbind", () => this.driver.unbind({ mode: "AXYB", subscriptionId, yb: { y } })),
      true,
    );
    return outcome.kind === "notFound" ? { kind: "ok", value: undefined } : outcome;
  }

  /** Runs a platform call again after transient errors and flow control, with exponential backoff and jitter. */
  async withRetries<T>(
    entry: Entry | undefined,
    call: () => Promise<Outcome<T>>,
    idempotent = false,
  ): Promise<Outcome<T>> {
    for (let retry = 0; ; retry++) {
      const outcome = await call();
      const retriable =
        outcome.kind === "transient" ||
        outcome.kind === "rateLimited" ||
        (idempotent && outcome.kind === "timeout");
      if (!retriable || retry >= this.tuning.transientRetries) return outcome;
      if (entry !== undefined) {
        this.events.emit("retried", {
          pool: entry.pool,
          orderKey: entry.orderKey,
          x: entry.x,
          reason: outcome.kind,
          code: outcome.code,
        });
      }
      const base = Math.min(this.tuning.maxBackoffMs, this.tuning.backoffMs * 2 ** retry);
      await this.scheduler.sleep(base / 2 + this.scheduler.random() * (base / 2));
    }
  }

  /** One platform query; "not found" is an empty answer. A lookup changes nothing, so timeouts are retried too. */
  private async lookup(query: QueryRequest): Promise<Outcome<readonly PlatformBinding[]>> {
    const outcome = await this.withRetries(
      undefined,
      () => this.call("query", () => this.driver.query(query)),
      true,
    );
    if (outcome.kind === "notFound") return { kind: "ok", value: [] };
    if (outcome.kind !== "ok") return outcome;
    return { kind: "ok", value: outcome.value.bindings };
  }

  /** Times a driver call and reports it; a driver that throws counts as a transient failure. */
  private async call<T>(
    op: "bind" | "unbind" | "modify" | "query" | "setCallee",
    fn: () => Promise<Outcome<T>>,
  ): Promise<Outcome<T>> {
    assertLockHeld(this.tuning.lockTtlMs);
    const started = this.now();
    let outcome: Outcome<T>;
    try {
      outcome = await fn();
    } catch (error) {
      outcome = {
        kind: "transient",
        code: "DRIVER_THREW",
        message: error instanceof Error ? error.message : String(error),
      };
    }
    this.events.emit("platformCall", {
      op,
      kind: outcome.kind,
      code: outcome.kind === "ok" ? "0" : outcome.code,
      latencyMs: this.now() - started,
    });
    return outcome;
  }
}

/** The first page of a listing by X: numbered pages start at 1, an AXE cursor listing without a cursor. */
export function firstPage(mode: Mode): { page?: number } {
  return mode === "AXE" ? {} : { page: 1 };
}

/** Where an entry sits on its X: the pair, in AXE the extension, in AXYB the Y. */
type Slot = Pick<Entry, "x" | "a" | "b" | "extension" | "y">;

/** Whether a platform binding is the entry's pair on its X (in AXE: A on the entry's extension). */
function samePair(mode: Mode, b: PlatformBinding, entry: Slot): boolean {
  if (b.x !== entry.x || b.a !== entry.a) return false;
  if (mode === "AXE") return sameExtension(b.extension, entry.extension);
  if (mode === "AXYB") return b.b === entry.b && b.y === entry.y;
  return mode === "AX" || b.b === entry.b;
}
