--[[
  Frees an orderKey's entry and its X slot; with a token, only if the token matches.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token ("": any)
    ARGV[4] the orderKey's hash (hashHint, includes/hashing.lua), "" none
  Output:
    1 released
    CODE.unknownOrder no entry
    CODE.lost the token does not match
]]
hashHint(ARGV[2], ARGV[4])
local e = entryGet(ARGV[2], true)
if not e then return CODE.unknownOrder end
if ARGV[3] ~= "" and e.token ~= tonumber(ARGV[3]) then return CODE.lost end
entryFree(ARGV[2], e)
metaFlush()
return 1
