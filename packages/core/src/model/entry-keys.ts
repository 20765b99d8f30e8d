/**
 * The store keys of entries bindpool makes itself (not a caller's order), in a space no orderKey can
 * reach: they start with a control character, which `OrderKeySchema` refuses in a caller's orderKey.
 */
const INTERNAL = "\u0000";

/**
 * - `foreign`: a platform binding no order made that holds a user of a pair on its X (found behind a
 *   conflict answer), keyed by its subscriptionId; the reconciler unbinds it.
 * - `unbind`: a binding whose bind landed after its reservation was taken over, waiting for its unbind.
 * - `adopted`: a platform binding the reconciler adopted without an orderKey of ours in its userData.
 * - `reassign`: the second binding of an order being moved to a new X, keyed by the order's key.
 */
export type InternalKind = "foreign" | "unbind" | "adopted" | "reassign";
const KINDS: readonly string[] = ["foreign", "unbind", "adopted", "reassign"] satisfies InternalKind[];

/** The key of an internal entry of a kind. */
export function internalKey(kind: InternalKind, id: string): string {
  return `${INTERNAL}${kind}:${id}`;
}

/** The kind of an internal entry's key; undefined for a caller's orderKey. */
export function internalKind(orderKey: string): InternalKind | undefined {
  if (!orderKey.startsWith(INTERNAL)) return undefined;
  const kind = orderKey.slice(1, orderKey.indexOf(":"));
  return KINDS.includes(kind) ? (kind as InternalKind) : undefined;
}

/** The id part of an internal entry's key (for `reassign`: the order's key). */
export function internalId(orderKey: string): string | undefined {
  return internalKind(orderKey) === undefined ? undefined : orderKey.slice(orderKey.indexOf(":") + 1);
}

/** The caller's order an entry belongs to: its own key, or the order a `reassign` entry serves. */
export function owningOrder(orderKey: string): string | undefined {
  const kind = internalKind(orderKey);
  if (kind === undefined) return orderKey;
  return kind === "reassign" ? internalId(orderKey) : undefined;
}

/** How an entry's key reads in messages, logs and the CLI: internal keys as `<kind:id>`. */
export function displayKey(orderKey: string): string {
  return orderKey.startsWith(INTERNAL) ? `<${orderKey.slice(1)}>` : orderKey;
}
