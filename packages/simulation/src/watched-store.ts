import type { MemoryStore } from "@bindpool/core";

/** Store methods that only read; every other call may change the store. */
const READS = new Set<PropertyKey>(["get", "expired", "stats", "numbers", "entries"]);

/**
 * Views of the shared MemoryStore, counting the calls that may change it: the checker reads the store again only
 * after one of them (reading it after every event would cost most of a run's time). A proxy, so methods
 * the store gains later are counted too.
 */
export function watched(base: MemoryStore): { view: () => MemoryStore; version: () => number } {
  let version = 0;
  // Each view is one process's connection (its own accepted pool generations) to the shared data.
  const view = () =>
    new Proxy(base.connect(), {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== "function" || READS.has(prop)) return value;
        return (...args: unknown[]) => {
          version++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { view, version: () => version };
}
