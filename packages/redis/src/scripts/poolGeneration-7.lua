--[[
  The pool's generation (read only).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
  Output:
    { generation, recovering (1|0), fencing counter }
    CODE.unknownPool no such pool
]]
local m = meta()
if not m.mode then return CODE.unknownPool end
return { m.gen, m.rec == "1" and 1 or 0, metaNum("tok") }
