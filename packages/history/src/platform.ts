import type { BindingView, ViolationRule } from "./events.js";

/** A binding in the checker's own copy of the platform, with the order its userData names (if any). */
export interface PlatformBinding extends BindingView {
  readonly orderKey?: string | undefined;
}

/** A rule the platform's own change broke (the change happened anyway: the log says so). */
export interface PlatformProblem {
  readonly rule: ViolationRule;
  readonly message: string;
}

/**
 * The checker's copy of the platform, rebuilt from the platform's event log alone, with the platform's
 * rules implemented here again: one user at most once per X, at most `capacity` bindings per X.
 */
export class PlatformModel {
  private readonly bySubscription = new Map<string, PlatformBinding>();
  /** X -> user -> subscriptionId of the binding that uses the user on that X. */
  private readonly usersOnX = new Map<string, Map<string, string>>();
  private readonly countOnX = new Map<string, number>();
  /** Indexes to find the bindings an order may hold while its reassign is unconfirmed. */
  private readonly byOrderKey = new Map<string, Set<string>>();
  private readonly byA = new Map<string, Set<string>>();
  /** Most bindings seen on one X at once. */
  maxOnOneX = 0;

  constructor(private readonly capacityPerX: number) {}

  get size(): number {
    return this.bySubscription.size;
  }

  get(subscriptionId: string): PlatformBinding | undefined {
    return this.bySubscription.get(subscriptionId);
  }

  all(): IterableIterator<PlatformBinding> {
    return this.bySubscription.values();
  }

  /** Adds a binding; returns the rules it breaks. */
  bind(binding: PlatformBinding): PlatformProblem[] {
    if (this.bySubscription.has(binding.subscriptionId)) {
      return [{ rule: "history", message: `bind of ${binding.subscriptionId}, which is bound already` }];
    }
    const problems = this.userProblems(binding);
    const count = (this.countOnX.get(binding.x) ?? 0) + 1;
    if (count > this.capacityPerX) {
      problems.push({
        rule: "x-over-capacity",
        message: `${binding.x} carries ${count} bindings, more than its capacity ${this.capacityPerX}`,
      });
    }
    this.countOnX.set(binding.x, count);
    this.maxOnOneX = Math.max(this.maxOnOneX, count);
    this.add(binding);
    return problems;
  }

  /** Replaces a binding's pair; returns the binding as it was and the rules the change breaks. */
  modify(binding: PlatformBinding): { before?: PlatformBinding; problems: PlatformProblem[] } {
    const before = this.bySubscription.get(binding.subscriptionId);
    if (before === undefined) {
      return {
        problems: [{ rule: "history", message: `modify of ${binding.subscriptionId}, which is not bound` }],
      };
    }
    if (before.x !== binding.x) {
      return {
        before,
        problems: [
          {
            rule: "history",
            message: `modify moved ${binding.subscriptionId} from ${before.x} to ${binding.x}`,
          },
        ],
      };
    }
    this.drop(before);
    const problems = this.userProblems(binding);
    // A modify that leaves the userData alone keeps the order it named.
    this.add({ ...binding, orderKey: binding.orderKey ?? before.orderKey });
    return { before, problems };
  }

  /** Removes a binding; returns it, or undefined when it was not bound. */
  remove(subscriptionId: string): PlatformBinding | undefined {
    const binding = this.bySubscription.get(subscriptionId);
    if (binding === undefined) return undefined;
    this.drop(binding);
    this.countOnX.set(binding.x, (this.countOnX.get(binding.x) ?? 1) - 1);
    return binding;
  }

  /**
   * The bindings that may be order `orderKey`'s: user `a` with one of `bs`, and no other order named in
   * their userData.
   */
  candidates(orderKey: string, a: string, bs: ReadonlySet<string>): PlatformBinding[] {
    const ids = new Set([...(this.byOrderKey.get(orderKey) ?? []), ...(this.byA.get(a) ?? [])]);
    const out: PlatformBinding[] = [];
    for (const id of ids) {
      const binding = this.bySubscription.get(id)!;
      if (binding.a !== a || binding.b === undefined || !bs.has(binding.b)) continue;
      if (binding.orderKey !== undefined && binding.orderKey !== orderKey) continue;
      out.push(binding);
    }
    return out;
  }

  private userProblems(binding: PlatformBinding): PlatformProblem[] {
    const problems: PlatformProblem[] = [];
    if (binding.a === binding.b) {
      problems.push({
        rule: "user-twice-on-x",
        message: `${binding.subscriptionId} has the same user as A and B on ${binding.x}`,
      });
    }
    const users = this.usersOnX.get(binding.x);
    for (const user of usersOf(binding)) {
      const holder = users?.get(user);
      if (holder !== undefined && holder !== binding.subscriptionId) {
        problems.push({
          rule: "user-twice-on-x",
          message: `${binding.subscriptionId} puts a user on ${binding.x} that ${holder} holds there`,
        });
      }
    }
    return problems;
  }

  private add(binding: PlatformBinding): void {
    const id = binding.subscriptionId;
    this.bySubscription.set(id, binding);
    let users = this.usersOnX.get(binding.x);
    if (users === undefined) {
      users = new Map();
      this.usersOnX.set(binding.x, users);
    }
    for (const user of usersOf(binding)) users.set(user, id);
    if (binding.orderKey !== undefined) indexAdd(this.byOrderKey, binding.orderKey, id);
    indexAdd(this.byA, binding.a, id);
  }

  private drop(binding: PlatformBinding): void {
    const id = binding.subscriptionId;
    this.bySubscription.delete(id);
    const users = this.usersOnX.get(binding.x);
    for (const user of usersOf(binding)) if (users?.get(user) === id) users.delete(user);
    if (binding.orderKey !== undefined) indexDelete(this.byOrderKey, binding.orderKey, id);
    indexDelete(this.byA, binding.a, id);
  }
}

function usersOf(binding: BindingView): string[] {
  return binding.b === undefined ? [binding.a] : [binding.a, binding.b];
}

function indexAdd(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (set === undefined) {
    set = new Set();
    index.set(key, set);
  }
  set.add(id);
}

function indexDelete(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  set?.delete(id);
  if (set?.size === 0) index.delete(key);
}
