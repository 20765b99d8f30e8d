import { randomBytes } from "node:crypto";
import { StoreLostError } from "../errors/index.js";

/** A new random generation id (96 bits, hex). */
export function newGeneration(): string {
  return randomBytes(12).toString("hex");
}

/** What a store object expects of a pool on every call, once it has accepted a generation. */
export interface GenerationExpectation {
  readonly generation: string;
  /** The highest fencing token this object saw from the pool: the pool's counter must not be below it. */
  readonly minToken: number;
}

interface Known {
  accepted: string | undefined;
  /** Generations this object accepted before the current one: seeing one again is a rollback. */
  readonly left: Set<string>;
  maxToken: number;
}

/**
 * The client side of the store's generation check (see `Store`): per pool, the generation this store
 * object accepted and the highest fencing token it saw. A store checks them against the pool's state
 * in the same atomic step as each call (MemoryStore in process, RedisStore inside its Lua functions).
 */
export class GenerationGuard {
  private readonly pools = new Map<string, Known>();

  private known(pool: string): Known {
    let k = this.pools.get(pool);
    if (k === undefined) {
      k = { accepted: undefined, left: new Set(), maxToken: 0 };
      this.pools.set(pool, k);
    }
    return k;
  }

  /** What a call for `pool` must check; undefined before any generation was accepted (no check). */
  expectation(pool: string): GenerationExpectation | undefined {
    const k = this.pools.get(pool);
    if (k?.accepted === undefined) return undefined;
    return { generation: k.accepted, minToken: k.maxToken };
  }

  /** The highest fencing token seen from `pool` (0: none): a new or rebuilt pool's counter starts there. */
  maxToken(pool: string): number {
    return this.pools.get(pool)?.maxToken ?? 0;
  }

  /** Notes a fencing token the store answered for `pool`. */
  saw(pool: string, token: number): void {
    const k = this.known(pool);
    if (token > k.maxToken) k.maxToken = token;
  }

  /**
   * Checks a pool's state (read in the call's atomic step) against what this object accepted; throws
   * `StoreLostError` when it is not the state this object worked with.
   */
  check(pool: string, state: { generation: string; counter: number } | undefined): void {
    const expected = this.expectation(pool);
    if (expected === undefined) return;
    if (state === undefined) throw new StoreLostError(pool, "missing");
    if (state.counter < expected.minToken) throw new StoreLostError(pool, "rollback");
    if (state.generation !== expected.generation) throw new StoreLostError(pool, "generation");
  }

  /**
   * Accepts the pool's generation and fencing counter as the state to check from now on. `fresh`: the
   * store just created or rebuilt that generation for this object (its counter was raised to `maxToken`).
   * Otherwise a generation this object left behind, or a counter below a token it saw, is a rollback:
   * throws `StoreLostError` (`rollback`) and accepts nothing.
   */
  accept(pool: string, generation: string, counter: number, fresh: boolean): void {
    const k = this.known(pool);
    if (!fresh && (k.left.has(generation) || counter < k.maxToken)) {
      throw new StoreLostError(pool, "rollback");
    }
    if (k.accepted !== undefined && k.accepted !== generation) k.left.add(k.accepted);
    k.accepted = generation;
    k.left.delete(generation);
  }
}
