--[[
  Creates a pool or adds numbers to it. New numbers start active with load 0; existing ones keep load and
  state and take the new city, province and capacity. Records city -> province for the area ladder.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/pool.lua)
    ARGV[1] pool key base
    ARGV[2] mode
    ARGV[3] most X per user (0: no limit)
    ARGV[4] 1 when B counts as a user of the X (pair modes), else 0
    ARGV[5..] per number, 4 values: x, city ("" none), province ("" none), capacity
  Output:
    1 done
    CODE.modeMismatch the pool exists with another mode
]]
local mode = redis.call("HGET", K.meta, "mode")
if mode and mode ~= ARGV[2] then return CODE.modeMismatch end
if not mode then redis.call("HSET", K.meta, "mode", ARGV[2], "umax", ARGV[3], "pair", ARGV[4]) end

for i = 5, #ARGV, 4 do
  local x, city, prov, cap = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local id = redis.call("HGET", K.xid, x)
  local r
  if id then
    r = numGet(id)
    -- Out of the old area indexes before the area may change.
    for _, k in ipairs(indexKeys(r)) do redis.call("ZREM", k, id) end
    r.city, r.prov, r.cap = city, prov, cap
  else
    id = enc(redis.call("HINCRBY", K.meta, "nid", 1))
    redis.call("HSET", K.xid, x, id)
    r = { id = id, x = x, state = "a", load = 0, cap = cap, cool = 0, quar = 0, city = city, prov = prov }
  end
  numPut(r)
  reindex(r, nil, true)
  if city ~= "" and prov ~= "" then redis.call("HSET", K.c2p, city, prov) end
end
metaFlush()
return 1
