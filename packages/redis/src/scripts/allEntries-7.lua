--[[
  Every entry of the pool (read only, O(entries): for checks and reconciliation, not the hot path).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/pool.lua)
    ARGV[1] pool key base
  Output:
    flat list of { orderKey, entry, x (AXYB: `x,y`) }
]]
local out = {}
local st = lhState("e")
local xs = {}
for b = 0, 2 ^ st.L + st.S - 1 do
  local kv = redis.call("HGETALL", P .. "e:" .. b)
  local subs = {}
  local skv = redis.call("HGETALL", P .. "s:" .. b)
  for i = 1, #skv, 2 do subs[skv[i]] = skv[i + 1] end
  for i = 1, #kv, 2 do
    local id = split(kv[i + 1], "|", 2)[1]
    -- AXYB: the Y id after "@" (see entryGet); X and Y of one entry reply as `x,y`.
    local yid = string.match(kv[i + 1], "@([^|@]*)$")
    if yid then id = id .. "@" .. yid end
    if not xs[id] then xs[id] = numbersOf(split(id, "@")[1], yid) end
    out[#out + 1] = kv[i]
    local sub = subs[kv[i]]
    if not sub and split(kv[i + 1], "|", 4)[3] == "b" then sub = "" end
    out[#out + 1] = entryRaw(kv[i + 1], sub)
    out[#out + 1] = xs[id]
  end
end
return out
