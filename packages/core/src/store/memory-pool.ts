/**
 * One pool as MemoryStore keeps it, and the helpers that keep its indexes right: who holds which X, the
 * load indexes per area, and the wake-ups of cooled-down numbers.
 */
import type { Entry, Mode, NumberState, Phone } from "../model/index.js";
import type { Extensions } from "./extensions.js";
import { type Indexable, IndexKind, LoadIndex } from "./load-index.js";
import type { MinHeap } from "./min-heap.js";
import type { ReserveRequest } from "./types.js";

export interface NumberRecord extends Indexable {
  readonly x: Phone;
  city: string | undefined;
  province: string | undefined;
  capacity: number;
  load: number;
  state: NumberState;
  quarantineUntilMs: number;
  cooldownUntilMs: number;
  /** Load under which X sits in the load indexes; undefined when it is not indexed. */
  indexedLoad: number | undefined;
  /** AXE: the extension length, and the extensions entries hold on X. */
  digits: number;
  readonly extensions: Extensions | undefined;
}

export interface Pool {
  readonly mode: Mode;
  generation: string;
  recovering: boolean;
  /** The last fencing token handed out (the pool's fencing counter). */
  tok: number;
  readonly numbers: Map<Phone, NumberRecord>;
  readonly entries: Map<string, Entry>;
  /** user number -> the X numbers it holds in this pool (reserved or bound; a pending previousB too) */
  readonly held: Map<Phone, Set<Phone>>;
  readonly cityProvince: Map<string, string>;
  readonly all: LoadIndex<NumberRecord>;
  readonly byCity: Map<string, LoadIndex<NumberRecord>>;
  readonly byProvince: Map<string, LoadIndex<NumberRecord>>;
  /** When cooled or quarantined X may come back into the indexes. */
  readonly wakeUps: MinHeap<{ at: number; x: Phone }>;
  /** Entry deadlines; stale items (released or moved entries) are dropped when met. */
  readonly deadlines: MinHeap<{ at: number; orderKey: string; token: number }>;
}

export function hold(p: Pool, user: Phone, x: Phone): void {
  let set = p.held.get(user);
  if (set === undefined) {
    set = new Set();
    p.held.set(user, set);
  }
  set.add(x);
}

export function unhold(p: Pool, user: Phone, x: Phone): void {
  const set = p.held.get(user);
  set?.delete(x);
  if (set?.size === 0) p.held.delete(user);
}

/** Brings X whose cooldown or timed quarantine ended back into the indexes. */
export function wake(p: Pool, nowMs: number): void {
  for (let top = p.wakeUps.peek(); top !== undefined && top.at <= nowMs; top = p.wakeUps.peek()) {
    p.wakeUps.pop();
    const rec = p.numbers.get(top.x);
    if (rec === undefined) continue;
    if (rec.state === "quarantined" && rec.quarantineUntilMs > 0 && rec.quarantineUntilMs <= nowMs) {
      rec.state = "active";
      rec.quarantineUntilMs = 0;
    }
    if (rec.cooldownUntilMs <= nowMs) rec.cooldownUntilMs = 0;
    sync(p, rec);
  }
}

/** Puts X in the indexes under its current load when it can take a bind, and takes it out otherwise. */
export function sync(p: Pool, rec: NumberRecord): void {
  unindex(p, rec);
  if (rec.state !== "active" || rec.cooldownUntilMs > 0 || rec.load >= rec.capacity) return;
  for (const index of indexesOf(p, rec, true)) index.add(rec, rec.load);
  rec.indexedLoad = rec.load;
}

export function unindex(p: Pool, rec: NumberRecord): void {
  if (rec.indexedLoad === undefined) return;
  for (const index of indexesOf(p, rec, false)) index.remove(rec, rec.indexedLoad);
  rec.indexedLoad = undefined;
}

export function indexesOf(p: Pool, rec: NumberRecord, create: boolean): LoadIndex<NumberRecord>[] {
  const out = [p.all];
  if (rec.city !== undefined) out.push(indexIn(p.byCity, rec.city, IndexKind.city, create));
  if (rec.province !== undefined) {
    out.push(indexIn(p.byProvince, rec.province, IndexKind.province, create));
  }
  return out;
}

export function indexIn(
  map: Map<string, LoadIndex<NumberRecord>>,
  key: string,
  kind: IndexKind,
  create: boolean,
): LoadIndex<NumberRecord> {
  let index = map.get(key);
  if (index === undefined) {
    index = new LoadIndex(kind);
    if (create) map.set(key, index);
  }
  return index;
}

/** The indexes to try, in order, for an area request (see `Store.reserve`). */
export function rungs(p: Pool, area: ReserveRequest["area"]): LoadIndex<NumberRecord>[] {
  if (area === undefined) return [p.all];
  const city = p.byCity.get(area.city);
  if (area.match === "strict") return city === undefined ? [] : [city];
  const province = area.province ?? p.cityProvince.get(area.city);
  const byProvince = province === undefined ? undefined : p.byProvince.get(province);
  return [city, byProvince, p.all].filter((i): i is LoadIndex<NumberRecord> => i !== undefined);
}
