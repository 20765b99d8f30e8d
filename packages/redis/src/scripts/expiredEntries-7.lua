--[[
  Entries whose lease (reserved) or order (bound) ended at or before nowMs, oldest first (read only).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/pool.lua)
    ARGV[1] pool key base
    ARGV[2] nowMs
    ARGV[3] most entries to return
  Output:
    flat list of { orderKey, entry, x }
]]
local out = {}
local keys = redis.call("ZRANGEBYSCORE", K.exp, "-inf", ARGV[2], "LIMIT", 0, tonumber(ARGV[3]))
for _, orderKey in ipairs(keys) do
  local e = entryGet(orderKey)
  if e then
    out[#out + 1] = orderKey
    out[#out + 1] = e.raw
    out[#out + 1] = xOf(e.xid)
  end
end
return out
