import {
  type BindingView,
  type ClientEvent,
  HistoryChecker,
  type HistoryCheckerOptions,
  type PlatformEvent,
  type Violation,
} from "../src/index.js";

/** An event without its time, which the history adds. */
type WithoutTime<T> = T extends unknown ? Omit<T, "timeMs"> : never;

export const X1 = "+8617200000001";
export const X2 = "+8617200000002";
export const A1 = "+8613800000001";
export const A2 = "+8613800000002";
export const B1 = "+8613900000001";
export const B2 = "+8613900000002";
export const B3 = "+8613900000003";

/** A hand-written history: each call feeds one event to a fresh checker, with times that only go up. */
export class History {
  readonly checker: HistoryChecker;
  private t = 1_700_000_000_000;

  constructor(options: HistoryCheckerOptions = {}) {
    this.checker = new HistoryChecker(options);
  }

  private client(event: WithoutTime<ClientEvent>): this {
    this.checker.client({ ...event, timeMs: this.t++ } as ClientEvent);
    return this;
  }

  private platform(type: PlatformEvent["type"], binding: BindingView, orderKey?: string): this {
    this.checker.platform({ type, ...binding, orderKey, timeMs: this.t++ });
    return this;
  }

  invokeAllocate(process: number, orderKey: string, a: string, b: string): this {
    return this.client({ type: "invoke", op: "allocate", process, orderKey, a, b });
  }
  invokeReassign(process: number, orderKey: string, b: string): this {
    return this.client({ type: "invoke", op: "reassign", process, orderKey, b });
  }
  invoke(process: number, op: "extend" | "complete", orderKey: string): this {
    return this.client({ type: "invoke", op, process, orderKey });
  }
  ok(process: number, op: ClientEvent["op"], orderKey: string, binding?: BindingView): this {
    return this.client({ type: "ok", op, process, orderKey, binding });
  }
  fail(
    process: number,
    op: ClientEvent["op"],
    orderKey: string,
    error = "BINDPOOL_PLATFORM_UNAVAILABLE",
  ): this {
    return this.client({ type: "fail", op, process, orderKey, error });
  }

  bind(binding: BindingView, orderKey?: string): this {
    return this.platform("bind", binding, orderKey);
  }
  modify(binding: BindingView, orderKey?: string): this {
    return this.platform("modify", binding, orderKey);
  }
  unbind(binding: BindingView, orderKey?: string): this {
    return this.platform("unbind", binding, orderKey);
  }
  expire(binding: BindingView, orderKey?: string): this {
    return this.platform("expire", binding, orderKey);
  }

  /** allocate of `orderKey` from invoke to ok, with its bind in between. */
  allocated(process: number, orderKey: string, binding: BindingView): this {
    return this.invokeAllocate(process, orderKey, binding.a, binding.b!)
      .bind(binding, orderKey)
      .ok(process, "allocate", orderKey, binding);
  }

  /** complete of `orderKey` from invoke to ok, with its unbind in between. */
  completed(process: number, orderKey: string, binding: BindingView): this {
    return this.invoke(process, "complete", orderKey)
      .unbind(binding, orderKey)
      .ok(process, "complete", orderKey);
  }

  /** The rules broken so far (continuous checks only). */
  rules(): string[] {
    return this.checker.violations.map((v) => v.rule);
  }

  /** The rules broken, after the final check. */
  finalRules(): string[] {
    return this.checker.finish().map((v: Violation) => v.rule);
  }
}

export const binding = (subscriptionId: string, x: string, a: string, b: string): BindingView => ({
  subscriptionId,
  x,
  a,
  b,
});
