--[[
  Keeps X out of picks until a time (after the platform said it is full); never shortens a cooldown.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] x
    ARGV[3] cooldown end, ms
  Output:
    1 done
    CODE.unknownPool, CODE.unknownNumber
]]
if redis.call("EXISTS", K.meta) == 0 then return CODE.unknownPool end
local id = redis.call("HGET", K.xid, ARGV[2])
if not id then return CODE.unknownNumber end
local r = numGet(id)
local untilMs = tonumber(ARGV[3])
-- A cooldown only ever grows.
if untilMs <= r.cool then return 1 end
r.cool = untilMs
numPut(r)
reindex(r, nil)
metaFlush()
return 1
