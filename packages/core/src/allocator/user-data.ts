import type { Phone } from "../model/index.js";

const USER_DATA_PREFIX = "bp:";

/** The userData bindpool sends when the caller sets none: the orderKey, so a reconcile can recover it. */
export function userDataFor(orderKey: string): string {
  return `${USER_DATA_PREFIX}${orderKey}`;
}

/** The orderKey carried by a userData bindpool sent, if it is one. */
export function orderKeyFromUserData(userData: string | undefined): string | undefined {
  return userData?.startsWith(USER_DATA_PREFIX) ? userData.slice(USER_DATA_PREFIX.length) : undefined;
}

export const FOREIGN_PREFIX = "foreign:";

/**
 * The store key of a platform binding no order made that holds a user of a pair on its X (found behind a
 * conflict answer): recorded so that user stays off X while it lasts. The reconciler unbinds it.
 */
export function foreignKey(subscriptionId: string): string {
  return `${FOREIGN_PREFIX}${subscriptionId}`;
}

/** Shows the country code and last 4 digits only: numbers in messages and logs stay private. */
export function mask(phone: Phone | undefined): string {
  if (phone === undefined) return "-";
  return phone.length <= 7 ? "****" : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}
