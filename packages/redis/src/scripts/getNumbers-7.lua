--[[
  Every X of the pool with the pool's mode and counters (read only, O(pool): for stats, checks and
  dashboards, not the hot path).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
  Output:
    { mode ("" no pool), reserved, bound, per X `x|state|load|capacity|cooldownUntilMs|quarantineUntilMs|
      digits|city|province` (includes/numbers.lua, with the load)... }
]]
local out = { meta().mode or "", metaNum("reserved"), metaNum("bound") }
-- Each record as `x|state|load|capacity|...`: the load put back in after the state.
local loads = {}
local kv = redis.call("HGETALL", K.ld)
for i = 1, #kv, 2 do loads[kv[i]] = kv[i + 1] end
kv = redis.call("HGETALL", K.n)
for i = 1, #kv, 2 do
  local head, rest = string.match(kv[i + 1], "^([^|]*|[^|]*|)(.*)$")
  out[#out + 1] = head .. (loads[kv[i]] or "0") .. "|" .. rest
end
return out
