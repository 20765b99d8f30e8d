--[[
  Moves the expiry of a bound entry (the order was extended).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] new order end, ms
  Output:
    1 ok
    CODE.lost not bound with that token
]]
local e = entryGet(ARGV[2], true)
if not e or e.status ~= "b" or e.token ~= tonumber(ARGV[3]) then return CODE.lost end
local old = { status = e.status, untilMs = e.untilMs }
e.untilMs = tonumber(ARGV[4])
entryPut(ARGV[2], e, old)
metaFlush()
return 1
