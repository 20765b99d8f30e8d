--[[ Linear-hashing tables (`e` entries, `u` users): a table is the hashes `<t>:<bucket>` (includes/keys.lua);
     state in meta `<t>L` (level), `<t>S` (split pointer), `<t>N` (entries). Bucket count is 2^L + S; one
     bucket splits when the table passes LH_LOAD[t] entries per bucket, so buckets stay small (listpack).
     An entry bucket also holds each bound entry's subscriptionId, under SUB .. orderKey (includes/entries.lua),
     so it splits at half the users' load: both stay near BUCKET_LOAD fields (src/keys.ts). The entry table
     has a companion on the same buckets: `x:<b>` (zset orderKey by end time, includes/expiry.lua). ]]
local LH_LOAD = { e = 24, u = 48 }
-- The field an entry's subscriptionId sits under, beside the entry in its bucket: byte 1 and the orderKey
-- (no orderKey starts with byte 1: RedisStore refuses one; core's own keys start with byte 0 and a
-- caller's hold no control characters).
local SUB = "\1"
-- SHA-1 based hashes of field names, kept for the call (begin drops them). Nothing is kept across calls:
-- Redis runs a step of Lua's garbage collector every 50 calls, and each cycle walks every live object, so
-- a memo that outlives the call makes every call dearer (a 4 096-entry hash memo and a per-X record memo
-- cost 5-15% of an order's Redis CPU in `pnpm bench cpu`).
local hashMemo, hashMemoN = {}, 0
-- Per call: field -> bucket (string) of each linear-hash table, dropped when a table splits (and by
-- `begin` when a call used it).
local bucketMemo = { e = {}, u = {} }
local bucketMemoUsed = false

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
-- Seeds hashOf with a hash the caller computed the same way (`hashHint` in src/scripts.ts: the first 8 hex
-- digits of the SHA-1 of s), so the hot calls skip SHA-1 here ("" or nil: none).
local function hashHint(s, hex)
  if hex and hex ~= "" and not hashMemo[s] then
    hashMemo[s] = tonumber(hex, 16)
    hashMemoN = hashMemoN + 1
  end
end

local LH_FIELDS = { e = { "eL", "eS", "eN" }, u = { "uL", "uS", "uN" } }
-- The key of a table's bucket.
local LH_KEY = { e = entryBucketKey, u = userBucketKey }
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
  return LH_KEY[t](lhBucket(t, field))
end
local function lhGet(t, field)
  return redis.call("HGET", lhKey(t, field), field)
end
-- Moves the fields of bucket `from` that now hash to bucket `to` (for entries, their subscriptionIds and
-- end times too), a few batched commands per split.
local function lhSplit(t, from, to, n)
  local src, dst = LH_KEY[t](from), LH_KEY[t](to)
  local kv = redis.call("HGETALL", src)
  local movedFields, moved, pairs_ = {}, {}, {}
  for i = 1, #kv, 2 do
    local f = kv[i]
    local entry = f
    if t == "e" and string.byte(f, 1) == 1 then entry = string.sub(f, 2) end
    if hashOf(entry) % (2 * n) == to then
      movedFields[#movedFields + 1] = f
      if entry == f then moved[#moved + 1] = f end
      pairs_[#pairs_ + 1] = f
      pairs_[#pairs_ + 1] = kv[i + 1]
    end
  end
  if #movedFields == 0 then return end
  redis.call("HSET", dst, unpack(pairs_))
  redis.call("HDEL", src, unpack(movedFields))
  if t ~= "e" or #moved == 0 then return end
  local xSrc, xDst = expiryBucketKey(from), expiryBucketKey(to)
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
-- Counts a new entry of table t, splitting the next bucket when the table passed its load.
local function lhGrew(t)
  local f = LH_FIELDS[t]
  metaAdd(f[3], 1)
  local L, S = metaNum(f[1]), metaNum(f[2])
  local n = POW2[L]
  if metaNum(f[3]) <= (n + S) * LH_LOAD[t] then return end
  lhSplit(t, S, S + n, n)
  bucketMemo[t] = {}
  if S + 1 >= n then
    metaSetNum(f[1], L + 1)
    metaSetNum(f[2], 0)
  else
    metaSetNum(f[2], S + 1)
  end
end
local function lhSet(t, field, value)
  if redis.call("HSET", lhKey(t, field), field, value) == 1 then lhGrew(t) end
end
local function lhDel(t, field)
  if redis.call("HDEL", lhKey(t, field), field) == 0 then return end
  metaAdd(LH_FIELDS[t][3], -1)
end
