/**
 * The part of an ioredis client bindpool calls, typed structurally (as upstash/ratelimit does) rather
 * than as ioredis's own classes: a `Redis` or `Cluster` from ioredis 5 or 6 (whichever copy the app
 * holds, ioredis is a peer dependency) fits, where the nominal class types of one major reject the other.
 */
export interface RedisClient {
  /** Any command; ioredis flattens array arguments. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
  /** Registers a script as a method named `name` (EVALSHA, EVAL when the server lost it). */
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number; readOnly?: boolean }): void;
  /** `true` on a Cluster client, whose pool functions are loaded on each master. */
  readonly isCluster: boolean;
  /** A Cluster client's node clients. */
  nodes?(role?: "master" | "slave" | "all"): RedisClient[];
}
