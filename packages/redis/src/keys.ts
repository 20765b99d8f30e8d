/**
 * Every Redis key bindpool uses, built in one place. All keys of one pool share the hash tag `{pool}`,
 * so a pool lives in one Redis Cluster slot and its Lua scripts may touch any of them.
 *
 * Layout (`<p>` = `<prefix>:{<pool>}:`):
 *
 * | key | type | content |
 * | --- | --- | --- |
 * | `<p>meta` | hash | `mode`, `umax` (X per user), `pair` (1: B counts), `tok` (fencing counter), `nid` (last X id), `reserved`/`bound` counts, linear-hash state `eL eS eN` / `uL uS uN`, `wake` (nothing in `cool` is due before it; 0: empty), `gen` (generation), `rec` (1: recovering), `lv` (the key layout that wrote the pool: 2) |
 * | `<p>xid` | hash | X -> short id (base 36) |
 * | `<p>n` | hash | X id -> `x\|state\|capacity\|cooldownUntilMs\|quarantineUntilMs\|digits\|city\|province` (digits: AXE extension length, else empty) |
 * | `<p>ld` | hash | X id -> load, the entries on X (absent: 0) |
 * | `<p>c2p` | hash | city -> province (area ladder) |
 * | `<p>i`, `<p>ic:<city>`, `<p>ip:<province>` | zset | X ids that take binds now, score = load |
 * | `<p>cool` | zset | X ids out of the index until a time (cooldown, timed quarantine), score = ms |
 * | `<p>exp` | zset | expiry buckets, score = a lower bound of the earliest end in the bucket, ms (see `includes/expiry.lua`) |
 * | `<p>rsv` | zset | orderKeys of reserved entries, score = lease end, ms |
 * | `<p>e:<bucket>` | hash | orderKey -> `xid\|token\|status\|untilMs\|a\|b` (numbers base 36, status r(eserved) b(ound) l (releasing); `b,previousB` while a changeB is not settled; AXE: `#extension` in place of b; AXYB: `b@yid`, Y's short id); and `\u0001<orderKey>` -> subscriptionId (bound and releasing entries that were bound) |
 * | `<p>x:<bucket>` | zset | orderKeys of bound and releasing entries, score = order end or unbind retry time, ms |
 * | `<p>u:<bucket>` | hash | user number -> comma separated X ids it holds (AXYB: A and B each hold both X and Y) |
 * | `<p>xe:<X id>` | string | AXE: bitmap of the extensions entries hold on X (bit n-1: extension n) |
 *
 * AXYB costs a few bytes per binding over AXB and no key more: the entry's B field carries `@` and Y's id
 * (2-4 base-36 characters), each user's list one id more, and Y's load sits in its own number record.
 * Replies that carry an entry's X (`reserve`, `getEntries`, `expiredEntries`, `entriesPage`) give `x,y`.
 *
 * `e:` (with `x:` on the same buckets) and `u:` are linear-hashing tables: buckets split one at a time as the table grows, so each
 * bucket holds about {@link BUCKET_LOAD} fields and stays listpack-encoded (compact) in Redis. An entry and
 * its subscriptionId share a bucket, so a confirm or a release writes both in one command.
 *
 * `scripts/includes/keys.lua` mirrors this class (change the two together): its `K` holds the fixed keys in
 * the order of {@link PoolKeys.fixed} and the two it builds from the key base (`rsv`, `ld`), and `<name>Key(...)` there builds what `<name>(...)` here builds for
 * every dynamic key (`e:`, `x:`, `u:`, `ic:`, `ip:`, `xe:`); no other Lua code builds a key name.
 */
export class PoolKeys {
  /** `<prefix>:{<pool>}:`, the start of every key of the pool (passed to scripts as ARGV[1]). */
  readonly base: string;

  constructor(
    prefix: string,
    /** The pool id. */
    readonly pool: string,
  ) {
    this.base = `${prefix}:{${pool}}:`;
  }

  get meta(): string {
    return `${this.base}meta`;
  }
  get xid(): string {
    return `${this.base}xid`;
  }
  get numbers(): string {
    return `${this.base}n`;
  }
  get cityProvince(): string {
    return `${this.base}c2p`;
  }
  get index(): string {
    return `${this.base}i`;
  }
  get cool(): string {
    return `${this.base}cool`;
  }
  get expiry(): string {
    return `${this.base}exp`;
  }
  /** The fixed keys every pool script takes as KEYS[1..7], in the order `includes/keys.lua` reads them. */
  get fixed(): [string, string, string, string, string, string, string] {
    return [this.meta, this.xid, this.numbers, this.cityProvince, this.index, this.cool, this.expiry];
  }
  /** The lease ends of the pool's reservations. */
  get reservations(): string {
    return `${this.base}rsv`;
  }
  /** The load of each X. */
  get loads(): string {
    return `${this.base}ld`;
  }
  /** Bucket `b` of the entry table. */
  entryBucket(b: number): string {
    return `${this.base}e:${b}`;
  }
  /** Bucket `b` of the entry end times (same buckets as entries). */
  expiryBucket(b: number): string {
    return `${this.base}x:${b}`;
  }
  /** Bucket `b` of the user table. */
  userBucket(b: number): string {
    return `${this.base}u:${b}`;
  }
  /** The load index of the X in `city`. */
  cityIndex(city: string): string {
    return `${this.base}ic:${city}`;
  }
  /** The load index of the X in `province`. */
  provinceIndex(province: string): string {
    return `${this.base}ip:${province}`;
  }
  /** AXE: the bitmap of the extensions entries hold on the X with short id `id`. */
  extensions(id: string): string {
    return `${this.base}xe:${id}`;
  }
}

/**
 * Fields per bucket the linear-hashing tables aim for (Redis keeps hashes of at most 128 small fields
 * compact): 48 users per user bucket, 24 entries per entry bucket (a bound entry has its subscriptionId
 * beside it). A bucket not yet split in its round holds up to twice that.
 */
export const BUCKET_LOAD = 48;

/** Key of a `RedisLock` lock on `key`. */
export function lockKey(prefix: string, key: string): string {
  return `${prefix}:lock:${key}`;
}

/** Key of a `RedisLock` leader election for a cluster-wide job. */
export function electionKey(prefix: string, job: string): string {
  return `${prefix}:leader:${job}`;
}
