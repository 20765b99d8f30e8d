import { OrderKeySchema, type Phone } from "./index.js";

const USER_DATA_PREFIX = "bp:";

/** The userData bindpool sends when the caller sets none: the orderKey, so a reconcile can recover it. */
export function userDataFor(orderKey: string): string {
  return `${USER_DATA_PREFIX}${orderKey}`;
}

/** The orderKey carried by a userData bindpool sent, if it is one (and a valid orderKey). */
export function orderKeyFromUserData(userData: string | undefined): string | undefined {
  if (!userData?.startsWith(USER_DATA_PREFIX)) return undefined;
  const orderKey = userData.slice(USER_DATA_PREFIX.length);
  return OrderKeySchema.safeParse(orderKey).success ? orderKey : undefined;
}

/** Shows the country code and last 4 digits only: numbers in messages and logs stay private. */
export function mask(phone: Phone | undefined): string {
  if (phone === undefined) return "-";
  return phone.length <= 7 ? "****" : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

/** Replaces every phone-number-like run of digits (7 or more, optional `+`) in a text with its masked form. */
export function maskPhones(text: string): string {
  return text.replace(/\+?\d{7,}/g, (phone) => mask(phone));
}
