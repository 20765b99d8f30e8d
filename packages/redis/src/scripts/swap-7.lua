--[[
  Swaps the entries of two orderKeys: each entry keeps its X, users, token, status, end time and
  subscriptionId; only the orderKeys trade places (with the expiry index and subscriptionIds).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey A
    ARGV[3] orderKey B
  Output:
    1 ok
    CODE.unknownOrder either orderKey has no entry
]]
local keyA, keyB = ARGV[2], ARGV[3]
local ea = entryGet(keyA)
local eb = entryGet(keyB)
if not ea or not eb then return CODE.unknownOrder end
if keyA == keyB then return 1 end
entryDel(keyA, ea)
entryDel(keyB, eb)
entryPut(keyA, eb, nil)
entryPut(keyB, ea, nil)
metaFlush()
return 1
