--[[
  Creates a pool or adds numbers to it. New numbers start active with load 0; existing ones keep load and
  state and take the new city, province and capacity. Records city -> province for the area ladder.

  Creating the pool (absent before: new, or lost with the data) gives it a new generation that is
  recovering (the platform may hold bindings the store does not); so does rebuild (after a rollback),
  keeping entries and numbers. Both raise the fencing counter to at least the caller's highest token seen,
  so it never goes below a token handed out.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base (with a generation guard on the calls after the first of one upsert)
    ARGV[2] mode
    ARGV[3] most X per user (0: no limit)
    ARGV[4] 1 when B counts as a user of the X (pair modes), else 0
    ARGV[5] a new generation id, used if this call creates or rebuilds the pool
    ARGV[6] 1: rebuild an existing pool, else 0
    ARGV[7] highest fencing token the caller saw
    ARGV[8..] per number, 5 values: x, city ("" none), province ("" none), capacity, extension digits
              ("" not AXE)
  Output:
    { generation, recovering (1|0), fencing counter, 1 if this call created or rebuilt it else 0 }
    CODE.modeMismatch the pool exists with another mode
]]
local m = meta()
if m.mode and m.mode ~= ARGV[2] then return CODE.modeMismatch end
local fresh = 0
if not m.mode or ARGV[6] == "1" then
  fresh = 1
  local tok = math.max(metaNum("tok"), tonumber(ARGV[7]))
  redis.call("HSET", K.meta, "mode", ARGV[2], "umax", ARGV[3], "pair", ARGV[4], "gen", ARGV[5], "rec", "1",
    "tok", fmt(tok), "lv", LAYOUT)
  m.mode, m.gen, m.rec, m.tok = ARGV[2], ARGV[5], "1", tok
end

for i = 8, #ARGV, 5 do
  local x, city, prov, cap, digits = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local id = redis.call("HGET", K.xid, x)
  local r
  if id then
    r = numGet(id)
    -- Out of the old area indexes before the area may change.
    for _, k in ipairs(indexKeys(r)) do redis.call("ZREM", k, id) end
    r.city, r.prov, r.cap, r.digits = city, prov, cap, digits
  else
    id = enc(redis.call("HINCRBY", K.meta, "nid", 1))
    redis.call("HSET", K.xid, x, id)
    r = {
      id = id, x = x, state = "a", load = 0, cap = cap, cool = 0, quar = 0, digits = digits, city = city, prov = prov,
    }
  end
  numPut(r)
  reindex(r, nil, true)
  if city ~= "" and prov ~= "" then redis.call("HSET", K.c2p, city, prov) end
end
metaFlush()
return { m.gen, m.rec == "1" and 1 or 0, metaNum("tok"), fresh }
