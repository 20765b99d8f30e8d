--[[
  Marks an entry releasing: its order ended but the platform unbind has not gone through yet. X and the
  users stay held; the entry is listed by expiredEntries again at retryAtMs. Works on reserved, bound and
  releasing entries.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] next unbind retry, ms
  Output:
    1 ok
    CODE.lost no entry with that token
]]
local e = entryGet(ARGV[2], true)
if not e or e.token ~= tonumber(ARGV[3]) then return CODE.lost end
local old = { status = e.status, untilMs = e.untilMs }
if e.status == "r" then
  metaAdd("reserved", -1)
  metaAdd("bound", 1)
end
e.status, e.untilMs = "l", tonumber(ARGV[4])
entryPut(ARGV[2], e, old)
metaFlush()
return 1
