--[[
  The pool's generation (read only, except that a pool from before generations gets one, not recovering).

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] a new generation id, used only for a pool that has none
  Output:
    { generation, recovering (1|0), fencing counter }
    CODE.unknownPool no such pool
]]
local m = meta()
if not m.mode then return CODE.unknownPool end
if not m.gen then
  redis.call("HSET", K.meta, "gen", ARGV[2], "rec", "0")
  m.gen, m.rec = ARGV[2], "0"
end
return { m.gen, m.rec == "1" and 1 or 0, metaNum("tok") }
