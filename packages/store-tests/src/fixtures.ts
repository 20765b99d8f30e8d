import type { Entry, Mode, ReserveRequest, Store, StoredNumber } from "@bindpool/core";

/** Users, time and the reserve request the suites share. */
export const A = "+8613800000001";
export const B = "+8613800000002";
export const C = "+8613800000003";
export const D = "+8613800000004";
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

/** What the conformance suite lends its groups of tests. */
export interface SuiteTools {
  /** A fresh store with pool "p" of these numbers. */
  readonly setup: (mode: Mode, numbers: StoredNumber[]) => Promise<Store>;
  /** A reservation of pool "p"; throws when the store answers anything else. */
  readonly pick: (store: Store, over: Partial<ReserveRequest>) => Promise<Entry>;
  readonly reserve: (store: Store, over: Partial<ReserveRequest>) => ReturnType<Store["reserve"]>;
  /** `n` numbers of capacity 5000 (or `extra`). */
  readonly xs: (n: number, extra?: Partial<StoredNumber>) => StoredNumber[];
  /** The suite's clock, ms. */
  readonly t0: number;
}
