--[[
  Reads entries by orderKey (read only).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2..] orderKeys
  Output:
    flat list of { orderKey, entry, x (AXYB: `x,y`) } for the orderKeys that have an entry
    CODE.recovering an orderKey has no entry and the pool is recovering (it may have lost it)
]]
local out = {}
for i = 2, #ARGV do
  local e = entryGet(ARGV[i])
  if not e and meta().rec == "1" then return CODE.recovering end
  if e then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = e.raw
    out[#out + 1] = numbersOf(e.xid, e.yid)
  end
end
return out
