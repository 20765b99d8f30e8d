--[[
  Shared by every pool function: the loader puts it at the top of the `bindpool_<content hash>` Functions
  library (src/scripts.ts), then one `redis.register_function` per script file, whose body runs after
  `begin(KEYS, ARGV)`. Defined once per FUNCTION LOAD, not on every call. Needs Redis >= 7.0.

  Every pool function takes the same KEYS, the fixed keys of one pool (see src/keys.ts):
    KEYS[1] meta   KEYS[2] xid   KEYS[3] n (numbers)   KEYS[4] c2p   KEYS[5] i (load index)
    KEYS[6] cool   KEYS[7] exp
  and ARGV[1] = the pool's key base `<prefix>:{<pool>}:`, from which the dynamic keys of the same pool
  (hash tag) are built: `e:<b>`, `s:<b>`, `x:<b>`, `u:<b>`, `ic:<city>`, `ip:<province>`.

  ARGV[1] may carry the caller's generation guard after the key base: `<generation>|<minToken>`, the
  generation the store object accepted and the highest fencing token it saw. `begin` then checks, before
  the function does anything, that the pool exists at that generation with `tok` >= minToken, and else
  fails the call with the error `BINDPOOL_STORE_LOST missing|rollback|generation` (mapped in
  src/scripts.ts). So every function and `batch` get the check in their own atomic step, for one HMGET
  of meta that they would mostly do anyway.

  Per-call state (P, K, M, dirty, batching) lives in upvalues that `begin` resets: Redis runs one call at
  a time.

  Each script file's body becomes `local function op_<verbNoun>(ARGV)`, registered on its own and
  reachable from `batch`, which runs several pool writes in one call (see the end of the library).
  Scripts end with metaFlush(); inside a batch it waits for the batch's end.

  Codes (negative integers) are mapped to TypeScript in src/script-codes.ts.
]]
local P
local K = {}
local CODE = {
  unknownPool = -1, modeMismatch = -2, unknownNumber = -3, exhausted = -4, userLimit = -5, lost = -6,
  unknownOrder = -7, conflict = -8, recovering = -9,
}
local BUCKET_LOAD = 48

--[[ meta, read once per call (one HMGET) and written once at the end (`metaFlush`, one HSET):
     mode, umax (X per user, 0 none), pair (1: B counts), tok (fencing counter), reserved/bound counts,
     linear-hash state eL eS eN / uL uS uN, wake (no member of `cool` is due before it; 0: cool is empty),
     gen (generation: new when the pool is created or rebuilt), rec (1 while recovering: bindings may be
     missing until finishRecovery).
     Scripts that change it call metaFlush before returning. ]]
local META_FIELDS = {
  "mode", "umax", "pair", "tok", "reserved", "bound", "eL", "eS", "eN", "uL", "uS", "uN", "wake", "gen", "rec",
}
local M, dirty = nil, {}
-- True while `batch` runs several operations in one call: metaFlush waits for the end of the batch.
local batching = false
-- SHA-1 based hashes of field names; kept across calls (deterministic), dropped when it grows.
local hashMemo, hashMemoN = {}, 0
-- Per call: field -> bucket (string) of each linear-hash table, dropped when a table splits.
local bucketMemo = { e = {}, u = {} }
local bucketMemoUsed = false
-- Decimal form of a number, as "%.17g" writes it; integers (the usual case) take the much cheaper "%d".
local function fmt(n)
  if n == math.floor(n) and n > -9007199254740992 and n < 9007199254740992 then return string.format("%d", n) end
  return string.format("%.17g", n)
end
-- One HMGET per call; a field's string becomes a number the first time metaNum reads it (nil: absent).
-- mode and pair stay strings.
local META_AT = {
  mode = 1, umax = 2, pair = 3, tok = 4, reserved = 5, bound = 6, eL = 7, eS = 8, eN = 9, uL = 10, uS = 11, uN = 12,
  wake = 13, gen = 14, rec = 15,
}
local metaRaw
local function meta()
  if not M then
    metaRaw = redis.call("HMGET", K.meta, unpack(META_FIELDS))
    M = {
      mode = metaRaw[1] or nil, pair = metaRaw[3] or nil, wake = metaRaw[13] or nil, gen = metaRaw[14] or nil,
      rec = metaRaw[15] or nil,
    }
  end
  return M
end
local function metaNum(f)
  local m = M or meta()
  local v = m[f]
  if v == nil then
    v = tonumber(metaRaw[META_AT[f]]) or 0
    m[f] = v
  elseif type(v) == "string" then
    v = tonumber(v) or 0
    m[f] = v
  end
  return v
end
local function metaAdd(f, d)
  meta()[f] = metaNum(f) + d
  dirty[f] = true
end
local function metaSetNum(f, v)
  meta()[f] = v
  dirty[f] = true
end
local function metaFlush()
  if batching then return end
  local args = {}
  for f in pairs(dirty) do
    args[#args + 1] = f
    args[#args + 1] = fmt(M[f])
  end
  if #args > 0 then redis.call("HSET", K.meta, unpack(args)) end
  dirty = {}
end
-- The caller's generation guard, checked once per call (see the header).
local function guardCheck(guard)
  local gen, minTok = string.match(guard, "^([^|]*)|(.*)$")
  local m = meta()
  if not m.mode then error({ err = "BINDPOOL_STORE_LOST missing" }) end
  if metaNum("tok") < (tonumber(minTok) or 0) then error({ err = "BINDPOOL_STORE_LOST rollback" }) end
  if m.gen ~= gen then error({ err = "BINDPOOL_STORE_LOST generation" }) end
end
local function begin(keys, argv)
  -- The key base ends at the first "}:" (prefix and pool hold no braces); a guard may follow it.
  local base, guard = string.match(argv[1], "^([^{}]*{[^{}]*}:)(.*)$")
  P = base or argv[1]
  if bucketMemoUsed then
    bucketMemo.e, bucketMemo.u = {}, {}
    bucketMemoUsed = false
  end
  K.meta, K.xid, K.n, K.c2p, K.i, K.cool, K.exp = keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[7]
  M = nil
  batching = false
  if next(dirty) then dirty = {} end
  if hashMemoN > 4096 then hashMemo, hashMemoN = {}, 0 end
  if guard and guard ~= "" then guardCheck(guard) end
end

-- Splits s on the plain separator; the last of `max` fields takes the rest of the string.
local function split(s, sep, max)
  local t, i = {}, 1
  while true do
    if max and #t == max - 1 then t[#t + 1] = string.sub(s, i); return t end
    local j = string.find(s, sep, i, true)
    if not j then t[#t + 1] = string.sub(s, i); return t end
    t[#t + 1] = string.sub(s, i, j - 1)
    i = j + 1
  end
end

-- Short form of a number: base 36 for non-negative integers, else "=" and the decimal; two digits per
-- table lookup, one string per call.
-- B36_2[v]: two base-36 digits of 0 <= v < 1296; B36_1[v]: v < 1296 without a leading zero.
-- Filled on first use: the standard library is not reachable while FUNCTION LOAD runs the library.
local B36_2, B36_1
local function b36Tables()
  B36_2, B36_1 = {}, {}
  local d = "0123456789abcdefghijklmnopqrstuvwxyz"
  for v = 0, 1295 do
    local hi, lo = math.floor(v / 36), v % 36
    B36_2[v] = string.sub(d, hi + 1, hi + 1) .. string.sub(d, lo + 1, lo + 1)
    B36_1[v] = hi == 0 and string.sub(d, lo + 1, lo + 1) or B36_2[v]
  end
end
local function enc(n)
  if n < 0 or n ~= math.floor(n) or n > 9007199254740991 then return "=" .. string.format("%.17g", n) end
  if not B36_1 then b36Tables() end
  if n < 1296 then return B36_1[n] end
  local d0 = n % 1296
  n = (n - d0) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d0] end
  local d1 = n % 1296
  n = (n - d1) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d1] .. B36_2[d0] end
  local d2 = n % 1296
  n = (n - d2) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0] end
  local d3 = n % 1296
  n = (n - d3) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d3] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0] end
  local d4 = n % 1296
  n = (n - d4) / 1296
  return B36_1[n] .. B36_2[d4] .. B36_2[d3] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0]
end
local function dec(s)
  if string.sub(s, 1, 1) == "=" then return tonumber(string.sub(s, 2)) end
  return tonumber(s, 36)
end

-- 32-bit hash of a field name; SHA-1 spreads even sequential orderKeys evenly over the buckets.
local function hashOf(s)
  local h = hashMemo[s]
  if not h then
    h = tonumber(string.sub(redis.sha1hex(s), 1, 8), 16)
    hashMemo[s] = h
    hashMemoN = hashMemoN + 1
  end
  return h
end

--[[ Linear-hashing tables (`e` entries, `u` users): a table is the hashes `<P><t>:<bucket>`; state in
     meta `<t>L` (level), `<t>S` (split pointer), `<t>N` (fields). Bucket count is 2^L + S; one bucket
     splits when the table passes BUCKET_LOAD fields per bucket, so buckets stay small (listpack).
     The entry table has companions on the same buckets: `s:<b>` (hash orderKey -> subscriptionId) and
     `x:<b>` (zset orderKey by end time); K.exp holds each `x:` bucket's earliest end (member = bucket). ]]
local LH_FIELDS = { e = { "eL", "eS", "eN" }, u = { "uL", "uS", "uN" } }
local function lhState(t)
  local f = LH_FIELDS[t]
  return { L = metaNum(f[1]), S = metaNum(f[2]), N = metaNum(f[3]) }
end
local POW2 = {}
for i = 0, 52 do POW2[i] = 2 ^ i end
-- The bucket of a field, as the decimal string key names use.
local function lhBucket(t, field)
  local memo = bucketMemo[t]
  local b = memo[field]
  if b then return b end
  local f = LH_FIELDS[t]
  local n = POW2[metaNum(f[1])]
  local h = hashOf(field)
  b = h % n
  if b < metaNum(f[2]) then b = h % (2 * n) end
  b = string.format("%d", b)
  memo[field] = b
  bucketMemoUsed = true
  return b
end
local function lhKey(t, field)
  return P .. t .. ":" .. lhBucket(t, field)
end
-- Sets K.exp (earliest end per expiry bucket) from bucket b.
local function expSync(b)
  local first = redis.call("ZRANGE", P .. "x:" .. b, 0, 0, "WITHSCORES")
  if first[1] then redis.call("ZADD", K.exp, first[2], b) else redis.call("ZREM", K.exp, b) end
end
-- Puts member in expiry bucket b at newMs (oldMs: its previous end, nil when new), keeping K.exp exact.
local function expSet(b, member, newMs, oldMs)
  local score = fmt(newMs)
  redis.call("ZADD", P .. "x:" .. b, score, member)
  if not oldMs then
    redis.call("ZADD", K.exp, "LT", score, b)
    return
  end
  local min = tonumber(redis.call("ZSCORE", K.exp, b))
  if not min or newMs < min then
    redis.call("ZADD", K.exp, score, b)
  elseif oldMs <= min and newMs > oldMs then
    expSync(b)
  end
end
local function expDel(b, member, oldMs)
  redis.call("ZREM", P .. "x:" .. b, member)
  local min = tonumber(redis.call("ZSCORE", K.exp, b))
  if min and oldMs <= min then expSync(b) end
end
local function lhGet(t, field)
  return redis.call("HGET", lhKey(t, field), field)
end
-- Moves the fields of bucket `from` that now hash to bucket `to` (and, for entries, their companions),
-- a few batched commands per split.
local function lhSplit(t, from, to, n)
  local src, dst = P .. t .. ":" .. from, P .. t .. ":" .. to
  local kv = redis.call("HGETALL", src)
  local moved, pairs_ = {}, {}
  for i = 1, #kv, 2 do
    local f = kv[i]
    if hashOf(f) % (2 * n) == to then
      moved[#moved + 1] = f
      pairs_[#pairs_ + 1] = f
      pairs_[#pairs_ + 1] = kv[i + 1]
    end
  end
  if #moved == 0 then return end
  redis.call("HSET", dst, unpack(pairs_))
  redis.call("HDEL", src, unpack(moved))
  if t ~= "e" then return end
  local subSrc, subDst = P .. "s:" .. from, P .. "s:" .. to
  local subs = redis.call("HMGET", subSrc, unpack(moved))
  local subPairs, subFields = {}, {}
  for i, f in ipairs(moved) do
    if subs[i] then
      subFields[#subFields + 1] = f
      subPairs[#subPairs + 1] = f
      subPairs[#subPairs + 1] = subs[i]
    end
  end
  if #subFields > 0 then
    redis.call("HSET", subDst, unpack(subPairs))
    redis.call("HDEL", subSrc, unpack(subFields))
  end
  local xSrc, xDst = P .. "x:" .. from, P .. "x:" .. to
  local scores = redis.call("ZMSCORE", xSrc, unpack(moved))
  local zPairs, zFields = {}, {}
  for i, f in ipairs(moved) do
    if scores[i] then
      zFields[#zFields + 1] = f
      zPairs[#zPairs + 1] = scores[i]
      zPairs[#zPairs + 1] = f
    end
  end
  if #zFields > 0 then
    redis.call("ZADD", xDst, unpack(zPairs))
    redis.call("ZREM", xSrc, unpack(zFields))
  end
  expSync(from)
  expSync(to)
end
local function lhSet(t, field, value)
  if redis.call("HSET", lhKey(t, field), field, value) == 0 then return end
  local f = LH_FIELDS[t]
  metaAdd(f[3], 1)
  local L, S = metaNum(f[1]), metaNum(f[2])
  local n = POW2[L]
  if metaNum(f[3]) <= (n + S) * BUCKET_LOAD then return end
  lhSplit(t, S, S + n, n)
  bucketMemo[t] = {}
  if S + 1 >= n then
    metaSetNum(f[1], L + 1)
    metaSetNum(f[2], 0)
  else
    metaSetNum(f[2], S + 1)
  end
end
local function lhDel(t, field)
  if redis.call("HDEL", lhKey(t, field), field) == 0 then return end
  metaAdd(LH_FIELDS[t][3], -1)
end

--[[ Numbers: n[id] = x|state|load|capacity|cooldownUntilMs|quarantineUntilMs|digits|city|province,
     state a(ctive) d(raining) q(uarantined) r(etired); digits: AXE's extension length ("" other modes). ]]
local NUMBER_FIELDS = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
local function numGet(id)
  local v = redis.call("HGET", K.n, id)
  if not v then return nil end
  -- One pattern match reads the 9 fields (several times faster than splitting).
  local x, state, load, cap, cool, quar, digits, city, prov = string.match(v, NUMBER_FIELDS)
  return {
    id = id, x = x, state = state, load = tonumber(load), cap = tonumber(cap),
    cool = tonumber(cool), quar = tonumber(quar), digits = digits, city = city, prov = prov,
  }
end
local function numPut(r)
  local v = r.x .. "|" .. r.state .. "|" .. fmt(r.load) .. "|" .. fmt(r.cap) .. "|" .. fmt(r.cool) .. "|" .. fmt(r.quar)
    .. "|" .. r.digits .. "|" .. r.city .. "|" .. r.prov
  redis.call("HSET", K.n, r.id, v)
end
--[[ AXE extensions: `xe:<id>` is a bitmap of the extensions entries hold on X (bit n-1: extension n). ]]
local function extKey(id)
  return P .. "xe:" .. id
end
-- Takes extension n on X (nil: the lowest free one) and returns it as callers dial it, zero-padded.
local function extTake(r, n)
  local key = extKey(r.id)
  if not n then n = redis.call("BITPOS", key, 0) + 1 end
  redis.call("SETBIT", key, n - 1, 1)
  return string.format("%0" .. (tonumber(r.digits) or 4) .. "d", n)
end
local function extHeld(id, n)
  return redis.call("GETBIT", extKey(id), n - 1) == 1
end
local function indexKeys(r)
  local ks = { K.i }
  if r.city ~= "" then ks[#ks + 1] = P .. "ic:" .. r.city end
  if r.prov ~= "" then ks[#ks + 1] = P .. "ip:" .. r.prov end
  return ks
end
-- When X may take binds again, judged by its state alone (0: now, -1: never without a state change).
local function backAt(r)
  if r.state == "a" then return r.cool end
  if r.state == "q" and r.quar > 0 then return math.max(r.cool, r.quar) end
  return -1
end
-- Notes that a member of `cool` is due at `at` (meta wake stays at or before every due time).
local function wakeAt(at)
  local w = metaNum("wake")
  if w == 0 or at < w then metaSetNum("wake", at) end
end
--[[ Puts X in or out of the load indexes. X is indexed iff it takes binds (active or lifted quarantine,
     cooldown over, load below capacity). X waiting for a time goes to `cool` and comes back when a
     reserve at or after that time pops it; `now` = nil (caller without a clock) defers every timer.
     X can only be in `cool` while its timer fields say it waits (backAt > 0), so `cool` is written only
     then; `force`: the caller changed the state or cleared timers, so X may be in `cool` anyway. ]]
local function reindex(r, now, force)
  local back = backAt(r)
  local city, prov = r.city, r.prov
  if back >= 0 and r.load < r.cap and (back == 0 or (now and back <= now)) then
    local score = fmt(r.load)
    redis.call("ZADD", K.i, score, r.id)
    if city ~= "" then redis.call("ZADD", P .. "ic:" .. city, score, r.id) end
    if prov ~= "" then redis.call("ZADD", P .. "ip:" .. prov, score, r.id) end
    if force or back > 0 then redis.call("ZREM", K.cool, r.id) end
  else
    redis.call("ZREM", K.i, r.id)
    if city ~= "" then redis.call("ZREM", P .. "ic:" .. city, r.id) end
    if prov ~= "" then redis.call("ZREM", P .. "ip:" .. prov, r.id) end
    if back > 0 and (not now or back > now) then
      redis.call("ZADD", K.cool, back, r.id)
      wakeAt(back)
    elseif force or back > 0 then
      redis.call("ZREM", K.cool, r.id)
    end
  end
end
-- Clears timers that have passed, so later reindex calls without a clock see X as available.
local function settle(r, now)
  if r.cool > 0 and r.cool <= now then r.cool = 0 end
  if r.state == "q" and r.quar > 0 and r.quar <= now then
    r.state = "a"
    r.quar = 0
  end
end

--[[ Entries: e[orderKey] = xid|token|status|untilMs|a|b, status r(eserved) b(ound) l (releasing: the
     unbind is pending, X and the users stay held); the subscriptionId of a bound entry (kept while it is
     releasing) in s[orderKey]; its end time in x (see above). `sub` is nil when the entry has none.
     While a changeB is not settled, the B field is `b,previousB` (`prev`, "" when none: no extra bytes);
     the previous B holds X like the entry's own users. AXE entries (no B) keep `#<extension>` there;
     AXYB entries `b@<Y id>` (Y: B's number, held like X: the users on it and a load slot).
     `raw` is the packed entry with `|subscriptionId` appended when it has one, as the TypeScript side reads it. ]]
local function entryRaw(v, sub)
  if sub then return v .. "|" .. sub end
  return v
end
local ENTRY_FIELDS = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
local function entryGet(orderKey)
  local b = lhBucket("e", orderKey)
  local v = redis.call("HGET", P .. "e:" .. b, orderKey)
  if not v then return nil end
  local xid, token, status, untilMs, a, pb = string.match(v, ENTRY_FIELDS)
  local prev, ext, yid = "", "", ""
  if string.byte(pb, 1) == 35 then -- "#"
    pb, ext = "", string.sub(pb, 2)
  else
    local comma = string.find(pb, ",", 1, true)
    if comma then
      pb, prev = string.sub(pb, 1, comma - 1), string.sub(pb, comma + 1)
    else
      local at = string.find(pb, "@", 1, true)
      if at then pb, yid = string.sub(pb, 1, at - 1), string.sub(pb, at + 1) end
    end
  end
  local sub = nil
  if status ~= "r" then sub = redis.call("HGET", P .. "s:" .. b, orderKey) or nil end
  -- A bound entry always has a subscriptionId (older versions did not store an empty one).
  if status == "b" and not sub then sub = "" end
  return {
    xid = xid, token = dec(token), status = status, untilMs = dec(untilMs), a = a, b = pb, prev = prev, ext = ext,
    yid = yid, sub = sub, raw = entryRaw(v, sub),
  }
end
-- Writes the entry, its subscriptionId and its end time (oldUntilMs: the end it had, nil when new);
-- returns the packed form replies carry.
local function entryPut(orderKey, e, oldUntilMs)
  local v = e.xid .. "|" .. enc(e.token) .. "|" .. e.status .. "|" .. enc(e.untilMs) .. "|" .. e.a .. "|" .. e.b
  if e.ext and e.ext ~= "" then
    v = v .. "#" .. e.ext
  elseif e.yid and e.yid ~= "" then
    v = v .. "@" .. e.yid
  elseif e.prev and e.prev ~= "" then
    v = v .. "," .. e.prev
  end
  lhSet("e", orderKey, v)
  -- After lhSet: a split may have moved the entry's bucket.
  local b = lhBucket("e", orderKey)
  if e.sub then redis.call("HSET", P .. "s:" .. b, orderKey, e.sub) end
  expSet(b, orderKey, e.untilMs, oldUntilMs)
  return entryRaw(v, e.sub)
end
local function entryDel(orderKey, e)
  local b = lhBucket("e", orderKey)
  lhDel("e", orderKey)
  if e.sub then redis.call("HDEL", P .. "s:" .. b, orderKey) end
  expDel(b, orderKey, e.untilMs)
end
-- The meta counter an entry status counts in: reserved, or bound (bound and releasing, as in stats).
local function counterOf(status)
  if status == "r" then return "reserved" end
  return "bound"
end
-- X phone of an id, for replies.
-- Kept across calls, as hashMemo: an id names one X for the life of a pool's generation (ids are never
-- reused, and a pool created anew has a new generation), so a page of entries asks Redis once per X.
local xMemo, xMemoN = {}, 0
local function xOf(id)
  local key = K.n .. "|" .. (meta().gen or "") .. "|" .. id
  local x = xMemo[key]
  if x then return x end
  local v = redis.call("HGET", K.n, id)
  if not v then return "" end
  x = string.match(v, "^[^|]*")
  if xMemoN >= 65536 then xMemo, xMemoN = {}, 0 end
  xMemo[key] = x
  xMemoN = xMemoN + 1
  return x
end
-- The numbers of an entry as replies carry them: X, or in AXYB `X,Y`.
local function numbersOf(xid, yid)
  if yid == nil or yid == "" then return xOf(xid) end
  return xOf(xid) .. "," .. xOf(yid)
end

--[[ Users: u[user] = comma separated X ids it holds. ]]
local function heldBy(user)
  local v = lhGet("u", user)
  if not v or v == "" then return {} end
  return split(v, ",")
end
-- `held`: the user's list when the caller already read it.
local function holdAdd(user, id, held)
  held = held or heldBy(user)
  held[#held + 1] = id
  lhSet("u", user, table.concat(held, ","))
end
local function holdRemove(user, id)
  local held, kept = heldBy(user), {}
  for _, h in ipairs(held) do if h ~= id then kept[#kept + 1] = h end end
  if #kept == 0 then lhDel("u", user) else lhSet("u", user, table.concat(kept, ",")) end
end
-- The user numbers an entry occupies on its X (usersOf in core: B counts in pair modes).
local function usersOf(a, b)
  if b ~= "" and meta().pair == "1" then return { a, b } end
  return { a }
end

-- Frees an entry's slot: user holds (a pending previous B's too), X load (and Y's in AXYB), counters,
-- expiry.
local function entryFree(orderKey, e)
  entryDel(orderKey, e)
  local ids = { e.xid }
  if e.yid ~= "" then ids[2] = e.yid end
  for _, id in ipairs(ids) do
    for _, u in ipairs(usersOf(e.a, e.b)) do holdRemove(u, id) end
    local r = numGet(id)
    if r then
      r.load = r.load - 1
      numPut(r)
      reindex(r, nil)
    end
  end
  if e.prev ~= "" then holdRemove(e.prev, e.xid) end
  if e.ext ~= "" then redis.call("SETBIT", extKey(e.xid), tonumber(e.ext) - 1, 0) end
  metaAdd(counterOf(e.status), -1)
end
