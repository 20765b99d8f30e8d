--[[
  Every X of the pool with the pool's mode and counters (read only, O(pool): for stats, checks and
  dashboards, not the hot path).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
  Output:
    { mode ("" no pool), reserved, bound, number records (see includes/numbers.lua)... }
]]
local out = { meta().mode or "", metaNum("reserved"), metaNum("bound") }
for _, v in ipairs(redis.call("HVALS", K.n)) do out[#out + 1] = v end
return out
