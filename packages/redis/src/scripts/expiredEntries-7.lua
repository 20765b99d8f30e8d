--[[
  Entries whose lease (reserved) or order (bound) ended at or before nowMs, oldest first (read only).
  The oldest `limit` ends lie in the first `limit` expiry buckets by earliest end, so only those are read.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] nowMs
    ARGV[3] most entries to return
  Output:
    flat list of { orderKey, entry, x (AXYB: `x,y`) }
]]
local now, limit = ARGV[2], tonumber(ARGV[3])
local due = {}
for _, b in ipairs(redis.call("ZRANGEBYSCORE", K.exp, "-inf", now, "LIMIT", 0, limit)) do
  local kv = redis.call("ZRANGEBYSCORE", expiryBucketKey(b), "-inf", now, "WITHSCORES", "LIMIT", 0, limit)
  for i = 1, #kv, 2 do due[#due + 1] = { kv[i], tonumber(kv[i + 1]) } end
end
table.sort(due, function(p, q)
  if p[2] ~= q[2] then return p[2] < q[2] end
  return p[1] < q[1]
end)
local out = {}
for i = 1, math.min(limit, #due) do
  local orderKey = due[i][1]
  local e = entryGet(orderKey)
  if e then
    out[#out + 1] = orderKey
    out[#out + 1] = e.raw
    out[#out + 1] = numbersOf(e.xid, e.yid)
  end
end
return out
