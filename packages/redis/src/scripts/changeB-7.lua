--[[
  Gives a bound AXB entry a new B on the same X before the platform's modify. The old B stays held on X
  as the entry's previous B until settleB-7 keeps one of the two, so no other pair gets X with it while
  the platform may still have it (it would answer 1012010).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] new b
  Output:
    1 ok (also when b is already the entry's B; with a previous B pending, b = previous B swaps the two)
    CODE.lost not a bound AXB entry with that token
    CODE.conflict the new b is A or already holds X, or another B is pending
]]
local orderKey, b = ARGV[2], ARGV[4]
local e = entryGet(orderKey, true)
if not e or e.token ~= tonumber(ARGV[3]) or e.status ~= "b" or meta().mode ~= "AXB" then return CODE.lost end
if e.b == b then return 1 end
if e.prev ~= "" then
  -- One modify at a time: only going back to the previous B (both stay held).
  if e.prev ~= b then return CODE.conflict end
else
  if e.a == b then return CODE.conflict end
  local held = heldBy(b)
  for _, id in ipairs(held) do
    if id == e.xid then return CODE.conflict end
  end
  holdAdd(b, e.xid, held)
end
e.b, e.prev = b, e.b
-- Same status and end: the expiry index stays as it is.
entryPut(orderKey, e, e)
metaFlush()
return 1
