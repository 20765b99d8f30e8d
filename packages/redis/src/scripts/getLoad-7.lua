--[[
  One X's load (read only, O(1): for polls such as drain).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] x
  Output:
    the load (entries on X)
    CODE.unknownNumber X is not a number of the pool
]]
local id = redis.call("HGET", K.xid, ARGV[2])
if not id then return CODE.unknownNumber end
return tonumber(redis.call("HGET", K.ld, id)) or 0
