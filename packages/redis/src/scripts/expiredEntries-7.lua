--[[
  Entries whose lease (reserved) or order (bound) ended at or before nowMs, oldest first. Reads the
  reservations' index and the expiry buckets by their bound (includes/expiry.lua), earliest first, until
  no unread bucket can hold an end before the `limit`-th found. Sets right the bound of each bucket it
  reads (its only writes): a bucket with nothing due leaves the range at once.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] nowMs
    ARGV[3] most entries to return
  Output:
    { more, then per entry orderKey, entry, x (AXYB: `x,y`) }: more = 1 when a budget stopped the walk
    (the entries are the oldest, but there may be due entries after them), else 0
]]
local now, limit = ARGV[2], tonumber(ARGV[3])
local due = {}
local function collect(kv)
  for i = 1, #kv, 2 do due[#due + 1] = { kv[i], tonumber(kv[i + 1]) } end
end
local function older(p, q)
  if p[2] ~= q[2] then return p[2] < q[2] end
  return p[1] < q[1]
end
collect(redis.call("ZRANGEBYSCORE", K.rsv, "-inf", now, "WITHSCORES", "LIMIT", 0, limit))
-- Buckets in bound order, a page of `limit` at a time. `offset` counts the buckets read that hold a due
-- end (they stay in range; their bounds are set right after the walk so the order does not move under
-- it); a bucket with nothing due had a stale bound and leaves the range, so it takes no offset.
-- Two budgets keep one call short (the sweeper asks for 500): `limit` + 16 buckets with a due end (what
-- `limit` entries need), and STALE_MAX buckets set right. Past either, only ends before the first unread
-- bound are sure; the reply says so, and RedisStore calls again while that cut its answer short of `limit`.
local STALE_MAX = 256
local offset, live, stale, cut, fixes = 0, limit + 16, STALE_MAX, nil, {}
while true do
  local page = redis.call("ZRANGEBYSCORE", K.exp, "-inf", now, "WITHSCORES", "LIMIT", offset, limit)
  if not page[1] then break end
  for i = 1, #page, 2 do
    local b, bound = page[i], page[i + 1]
    if live == 0 or stale == 0 then
      cut = tonumber(bound)
      break
    end
    local kv = redis.call("ZRANGEBYSCORE", expiryBucketKey(b), "-inf", now, "WITHSCORES", "LIMIT", 0, limit)
    if kv[1] then
      live = live - 1
      collect(kv)
      offset = offset + 1
      if kv[2] ~= bound then fixes[#fixes + 1] = { kv[2], b } end
    else
      stale = stale - 1
      expSync(b)
    end
  end
  if cut then break end
  table.sort(due, older)
  if #due >= limit then
    local nextBound = redis.call("ZRANGEBYSCORE", K.exp, "-inf", now, "WITHSCORES", "LIMIT", offset, 1)[2]
    if not nextBound or due[limit][2] <= tonumber(nextBound) then break end
  end
end
for _, f in ipairs(fixes) do redis.call("ZADD", K.exp, f[1], f[2]) end
table.sort(due, older)
local out = { cut and 1 or 0 }
for i = 1, math.min(limit, #due) do
  local orderKey = due[i][1]
  if cut and due[i][2] > cut then break end
  local e = entryGet(orderKey)
  if e then
    out[#out + 1] = orderKey
    out[#out + 1] = e.raw
    out[#out + 1] = numbersOf(e.xid, e.yid)
  end
end
return out
