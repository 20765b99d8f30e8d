import { type Entry, type Mode, type Phone, usersOf } from "@bindpool/core";

/** A binding as the simulator reports it. */
type PlatformBinding = {
  readonly subscriptionId: string;
  readonly x: Phone;
  readonly a: Phone;
  readonly b?: Phone;
  readonly extension?: string;
  readonly y?: Phone;
};

/**
 * The platform's side of the mode's rules: no user twice on one X, no X over capacity (AX: 1), AX: no A
 * on more than 5 X, AXE: no extension twice on one X. AXYB: every binding holds its X and its Y, each
 * number counts the bindings it serves as X or as Y, and no user twice on a number.
 */
export function platformViolations(
  mode: Mode,
  bindings: readonly PlatformBinding[],
  capacity: number,
): string[] {
  const problems: string[] = [];
  const perX = new Map<Phone, Set<Phone>>();
  const count = new Map<Phone, number>();
  const xPerA = new Map<Phone, number>();
  const extensions = new Set<string>();
  if (mode === "AXYB") return axybViolations(bindings, capacity);
  for (const b of bindings) {
    const users = perX.get(b.x) ?? new Set<Phone>();
    for (const u of usersOf(mode, b.a, b.b)) {
      if (users.has(u)) problems.push(`platform: ${u} twice on ${b.x}`);
      users.add(u);
    }
    xPerA.set(b.a, (xPerA.get(b.a) ?? 0) + 1);
    if (mode === "AXE") {
      const key = `${b.x}#${b.extension}`;
      if (b.extension === undefined || extensions.has(key))
        problems.push(`platform: extension ${b.extension} on ${b.x} is not one binding's`);
      extensions.add(key);
    }
    perX.set(b.x, users);
    count.set(b.x, (count.get(b.x) ?? 0) + 1);
  }
  for (const [x, n] of count) if (n > capacity) problems.push(`platform: ${x} carries ${n} > ${capacity}`);
  if (mode === "AX")
    for (const [a, n] of xPerA) if (n > 5) problems.push(`platform: ${a} holds ${n} X, more than 5`);
  return problems;
}

function axybViolations(bindings: readonly PlatformBinding[], capacity: number): string[] {
  const problems: string[] = [];
  const users = new Map<Phone, Set<Phone>>();
  const hold = (n: Phone, u: Phone) => {
    const on = users.get(n) ?? new Set<Phone>();
    if (on.has(u)) problems.push(`platform: ${u} twice on ${n}`);
    users.set(n, on.add(u));
  };
  for (const b of bindings) {
    if (b.y === undefined || b.b === undefined || b.y === b.x) {
      problems.push(`platform: binding ${b.subscriptionId} has no YB relation of its own`);
      continue;
    }
    hold(b.x, b.a);
    hold(b.x, b.b);
    hold(b.y, b.a);
    hold(b.y, b.b);
  }
  const served = new Map<Phone, number>();
  for (const b of bindings) for (const n of [b.x, b.y]) if (n) served.set(n, (served.get(n) ?? 0) + 1);
  for (const [n, count] of served)
    if (count > capacity) problems.push(`platform: ${n} serves ${count} > ${capacity}`);
  return problems;
}

/**
 * Store and platform agree in a quiet state: every store entry is bound and its binding is at the platform
 * with the same X and pair (AXE: and extension); every platform binding belongs to a store entry.
 */
export function agreementViolations(
  entries: readonly Entry[],
  bindings: readonly PlatformBinding[],
): string[] {
  const problems: string[] = [];
  const bySubscription = new Map(bindings.map((b) => [b.subscriptionId, b]));
  const owned = new Set<string>();
  for (const e of entries) {
    if (e.status !== "bound" || e.subscriptionId === undefined) {
      problems.push(`order ${e.orderKey} is ${e.status} in a quiet state`);
      continue;
    }
    owned.add(e.subscriptionId);
    const b = bySubscription.get(e.subscriptionId);
    if (b === undefined) problems.push(`order ${e.orderKey} has no binding at the platform`);
    else if (b.x !== e.x || b.a !== e.a || b.b !== e.b || b.extension !== e.extension || b.y !== e.y)
      problems.push(`order ${e.orderKey} disagrees with the platform`);
  }
  for (const b of bindings) {
    if (!owned.has(b.subscriptionId))
      problems.push(`platform binding ${b.subscriptionId} on ${b.x} has no order`);
  }
  return problems;
}
