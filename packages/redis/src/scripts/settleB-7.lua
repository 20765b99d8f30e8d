--[[
  Ends a changeB once the platform answered its modify: keeps b (the entry's B or its previous B) as
  the entry's B and frees the other B's holding of X.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] fencing token
    ARGV[4] the B to keep
  Output:
    1 ok (also when nothing is pending and b is the entry's B)
    CODE.lost not a bound AXB entry with that token, or b is neither of its Bs
]]
local orderKey, b = ARGV[2], ARGV[4]
local e = entryGet(orderKey, true)
if not e or e.token ~= tonumber(ARGV[3]) or e.status ~= "b" or meta().mode ~= "AXB" then return CODE.lost end
if b ~= e.b and (e.prev == "" or b ~= e.prev) then return CODE.lost end
if e.prev == "" then return 1 end
local freed = e.b
if b == e.b then freed = e.prev end
holdRemove(freed, e.xid)
e.b, e.prev = b, ""
-- Same status and end: the expiry index stays as it is.
entryPut(orderKey, e, e)
metaFlush()
return 1
