--[[
  Turns a reservation into a binding that expires at untilMs, if the token still holds the lease.
  Confirming a binding again with the same token and subscriptionId answers ok. Adopt confirms even
  when the lease ended (the sweeper found the binding at the platform); the entry must still be reserved.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] subscriptionId
    ARGV[5] order end, ms
    ARGV[6] nowMs
    ARGV[7] 1: adopt (ignore the lease end), else 0
    ARGV[8] the orderKey's hash (hashHint, includes/hashing.lua), "" none
  Output:
    1 ok
    CODE.lost no entry with that token, releasing, or its lease ended (without adopt)
]]
hashHint(ARGV[2], ARGV[8])
local e = entryGet(ARGV[2])
if not e or e.token ~= tonumber(ARGV[3]) then return CODE.lost end
if e.status == "b" then
  if e.sub == ARGV[4] then return 1 end
  return CODE.lost
end
if e.status ~= "r" then return CODE.lost end
if e.untilMs <= tonumber(ARGV[6]) and ARGV[7] ~= "1" then return CODE.lost end
local old = { status = e.status, untilMs = e.untilMs }
e.status, e.sub, e.untilMs = "b", ARGV[4], tonumber(ARGV[5])
entryPut(ARGV[2], e, old)
metaAdd("reserved", -1)
metaAdd("bound", 1)
metaFlush()
return 1
