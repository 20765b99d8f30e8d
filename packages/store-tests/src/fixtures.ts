import type { ReserveRequest } from "@bindpool/core";

/** Users, time and the reserve request the suites share. */
export const A = "+8613800000001";
export const B = "+8613800000002";
export const T0 = 1_000_000;

/** A reserve of o1 for (A, B) in pool "p" at T0, with what the test changes. */
export const reserveRequest = (over: Partial<ReserveRequest> = {}): ReserveRequest => ({
  pool: "p",
  orderKey: "o1",
  a: A,
  b: B,
  exclude: [],
  strategy: { name: "leastLoaded" },
  leaseMs: 1_000,
  nowMs: T0,
  ...over,
});
