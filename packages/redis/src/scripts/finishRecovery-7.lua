--[[
  Ends the pool's recovery (the platform's bindings are in the store again), if it is still at the
  generation the recovery started from.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] generation
  Output:
    1 done (also when it was not recovering)
    0 the pool is gone or at another generation
]]
local m = meta()
if not m.mode or m.gen ~= ARGV[2] then return 0 end
if m.rec == "1" then redis.call("HSET", K.meta, "rec", "0") end
return 1
