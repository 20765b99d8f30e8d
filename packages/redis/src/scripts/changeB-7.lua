--[[
  Replaces B of a bound AXB entry on the same X (the platform's modify), moving the old and new B's
  holdings of X.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/pool.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] new b
  Output:
    1 ok (also when b is already the entry's B)
    CODE.lost not a bound AXB entry with that token
    CODE.conflict the new b is A, or already holds X
]]
local orderKey, b = ARGV[2], ARGV[4]
local e = entryGet(orderKey)
if not e or e.token ~= tonumber(ARGV[3]) or e.status ~= "b" or meta().mode ~= "AXB" then return CODE.lost end
if e.b == b then return 1 end
if e.a == b then return CODE.conflict end
local held = heldBy(b)
for _, id in ipairs(held) do
  if id == e.xid then return CODE.conflict end
end
if e.b ~= "" then holdRemove(e.b, e.xid) end
holdAdd(b, e.xid, held)
e.b = b
entryPut(orderKey, e, e.untilMs)
metaFlush()
return 1
