--[[
  One page of the pool's entries: the entry buckets from ARGV[2], at most ARGV[3] of them (read only; a
  whole pool is read page by page, so no call holds Redis for long however big the pool is). A bucket
  that splits between two pages moves entries only to a bucket after every bucket read so far, so a
  walk over all pages misses no entry that stays; it may meet a moved one twice.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] first bucket
    ARGV[3] most buckets to read
  Output:
    { next bucket (-1: that was the last), then per entry orderKey, entry, x (AXYB: `x,y`) }
]]
local st = lhState("e")
local count = 2 ^ st.L + st.S
local first = tonumber(ARGV[2])
local last = math.min(count, first + tonumber(ARGV[3])) - 1
local out = { last + 1 < count and last + 1 or -1 }
local xs = {}
for b = first, last do
  local kv = redis.call("HGETALL", entryBucketKey(b))
  -- The bucket holds entries and, under SUB .. orderKey, subscriptionIds (includes/hashing.lua).
  local subs = {}
  for i = 1, #kv, 2 do
    if string.byte(kv[i], 1) == 1 then subs[string.sub(kv[i], 2)] = kv[i + 1] end
  end
  local n = #out
  for i = 1, #kv, 2 do
    if string.byte(kv[i], 1) ~= 1 then
      local v = kv[i + 1]
      -- The X id by one pattern match (no tables per entry).
      local xid = string.match(v, "^([^|]*)|")
      -- AXYB: the Y id after "@" (see entryGet); X and Y of one entry reply as `x,y`.
      local yid = string.match(v, "@([^|@]*)$")
      local id = yid and (xid .. "@" .. yid) or xid
      local x = xs[id]
      if not x then
        x = numbersOf(xid, yid)
        xs[id] = x
      end
      local sub = subs[kv[i]]
      out[n + 1], out[n + 2], out[n + 3] = kv[i], entryRaw(v, sub), x
      n = n + 3
    end
  end
end
return out
