import { BindpoolError, type PoolConfig } from "@bindpool/core";
import type { RedisStore } from "@bindpool/redis";
import { type CliConfig, UsageError } from "./config.js";

/** Where the pools are, for messages: the Redis (without its password) and the store's prefix. */
export interface StorePlace {
  readonly url: string;
  readonly prefix: string;
}

/**
 * The pools a command works on, as the app instances wrote them into the store: `--pool`, else the
 * config's `pools`, else every pool in the store. A pool given as the app's config is checked against
 * the store's (a stale copy is refused) and then used as given.
 */
export async function poolsFromStore(
  store: RedisStore,
  place: StorePlace,
  config: CliConfig,
  chosen: string | undefined,
  needsOne: boolean,
): Promise<PoolConfig[]> {
  const listed = config.pools?.map((p) => (typeof p === "string" ? p : p.id));
  if (chosen !== undefined && listed !== undefined && !listed.includes(chosen)) {
    throw new UsageError(`No pool "${chosen}" in the config file (pools: ${listed.join(", ")}).`);
  }
  const ids = chosen !== undefined ? [chosen] : (listed ?? (await store.poolIds()));
  if (ids.length === 0) {
    throw new BindpoolError(
      "BINDPOOL_UNKNOWN_POOL",
      `No pools in the store at ${place.url} with prefix "${place.prefix}": no app instance has written one (the CLI never creates pools). Check redis and prefix.`,
    );
  }
  if (needsOne && ids.length > 1)
    throw new UsageError(`Name the pool with --pool (pools: ${ids.join(", ")}).`);
  const pools: PoolConfig[] = [];
  for (const id of ids) {
    const stored = await store.readPool(id);
    if (stored === undefined) throw notInStore(id, place);
    const given = config.pools?.find((p) => typeof p !== "string" && p.id === id);
    if (given === undefined || typeof given === "string") {
      // No capacity: the CLI never writes pools, and the store keeps each X's own.
      const numbers = stored.numbers.map(({ x, city, province, extensionDigits }) => ({
        x,
        ...(city === undefined ? {} : { city }),
        ...(province === undefined ? {} : { province }),
        ...(extensionDigits === undefined ? {} : { extensionDigits }),
      }));
      pools.push({ id, mode: stored.mode, numbers });
      continue;
    }
    if (given.mode !== stored.mode) {
      throw new UsageError(
        `Pool "${id}" is ${given.mode} in the config file but ${stored.mode} in the store.`,
      );
    }
    const inStore = new Set(stored.numbers.map((n) => n.x));
    const stale = given.numbers.filter((n) => !inStore.has(n.x)).map((n) => n.x);
    if (stale.length > 0) {
      throw new UsageError(
        `Pool "${id}" in the config file has numbers the store's pool does not (${stale.slice(0, 5).join(", ")}${stale.length > 5 ? ", ..." : ""}): a stale copy of the app's config? List the pool by id to take it from the store.`,
      );
    }
    pools.push(given);
  }
  return pools;
}

function notInStore(id: string, place: StorePlace): BindpoolError {
  return new BindpoolError(
    "BINDPOOL_UNKNOWN_POOL",
    `Pool "${id}" is not in the store at ${place.url} with prefix "${place.prefix}": no app instance has written it (the CLI never creates pools). Check redis and prefix.`,
  );
}
