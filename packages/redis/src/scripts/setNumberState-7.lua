--[[
  Moves X to a state. A quarantine with an end time lifts itself at that time.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] x
    ARGV[3] state: a(ctive) d(raining) q(uarantined) r(etired)
    ARGV[4] quarantine end, ms (0: until changed)
  Output:
    1 done
    CODE.unknownPool, CODE.unknownNumber
]]
if redis.call("EXISTS", K.meta) == 0 then return CODE.unknownPool end
local id = redis.call("HGET", K.xid, ARGV[2])
if not id then return CODE.unknownNumber end
local r = numGet(id)
r.state = ARGV[3]
r.quar = r.state == "q" and tonumber(ARGV[4]) or 0
numPut(r)
reindex(r, nil, true)
metaFlush()
return 1
