--[[
  Picks an X for a pair and records a reservation leased until now + leaseMs with a fresh fencing token.
  Idempotent per orderKey. Cost: a bounded pop of cooled X, then a window of the load index just wider
  than the X the pair holds plus the excluded X; never the pool size.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2] orderKey
    ARGV[3] a
    ARGV[4] b ("" none)
    ARGV[5] leaseMs
    ARGV[6] nowMs
    ARGV[7] strategy: l(eastLoaded) p(ack)
    ARGV[8] area match: "" (any X), s(trict), l(adder)
    ARGV[9] area city
    ARGV[10] area province ("": the one recorded for the city)
    ARGV[11] most cooled X to bring back in this call
    ARGV[12] the X to reserve ("": pick one). A named X only needs room (load below capacity) and the
             pair's rules (not held by a user of the pair, not excluded); its state, cooldown and the
             area are not checked (adopting a binding found at the platform).
    ARGV[13] sticky: the X the pair used before ("" none), picked first when it is in the load index
             (takes binds now), the pair may use it, and with a strict area it is in the city
    ARGV[14] AXE, with ARGV[12]: the extension to take on that X ("" the lowest free one)
    ARGV[15] AXYB, with ARGV[12]: the Y to reserve with it (same checks as X; "" none: exhausted)
    ARGV[16] hashes of orderKey, a and b (hashHint, includes/hashing.lua): `<8 hex>,<8 hex>,<8 hex>`,
             each part may be empty; "" none
    ARGV[17..] excluded X
  AXYB: after X, Y is picked the same way among the other numbers (sticky aside); no Y: exhausted with
  nothing changed. The entry counts on both and holds A and B on both.
  Output:
    { 1, entry, x } a new reservation; { 2, entry, x } the orderKey's existing entry (x: `x,y` in AXYB)
    CODE.exhausted (also: unknown pool), CODE.userLimit
    CODE.recovering the pool is recovering and the orderKey has no entry (without ARGV[12])
]]
local orderKey, a, b = ARGV[2], ARGV[3], ARGV[4]
local now = tonumber(ARGV[6])
if ARGV[16] ~= "" then
  local ho, ha, hb = string.match(ARGV[16], "^(%x*),(%x*),(%x*)$")
  hashHint(orderKey, ho)
  hashHint(a, ha)
  hashHint(b, hb)
end

local existing = entryGet(orderKey)
if existing then return { 2, existing.raw, numbersOf(existing.xid, existing.yid) } end

if not meta().mode then return CODE.exhausted end
-- Recovering: the platform may hold a binding the store lost, so only adopting one (ARGV[12]) reserves.
if meta().rec == "1" and ARGV[12] == "" then return CODE.recovering end
local umax = metaNum("umax")

-- Cooled X whose time has come go back into the indexes (meta wake: nothing to do before then).
local wake = metaNum("wake")
if wake > 0 and wake <= now then
  local due = redis.call("ZRANGEBYSCORE", K.cool, "-inf", now, "LIMIT", 0, tonumber(ARGV[11]))
  for _, id in ipairs(due) do
    local r = numGet(id)
    if r then
      settle(r, now)
      numPut(r)
      reindex(r, now, true)
    else
      redis.call("ZREM", K.cool, id)
    end
  end
  local first = redis.call("ZRANGE", K.cool, 0, 0, "WITHSCORES")
  metaSetNum("wake", tonumber(first[2]) or 0)
end

local users = usersOf(a, b)
local skip, skipCount, helds = {}, 0, {}
for i, u in ipairs(users) do
  local held = heldBy(u)
  helds[i] = held
  if umax > 0 and #held >= umax then return CODE.userLimit end
  for _, id in ipairs(held) do
    if not skip[id] then
      skip[id] = true
      skipCount = skipCount + 1
    end
  end
end
if #ARGV >= 17 then
  local ids = redis.call("HMGET", K.xid, unpack(ARGV, 17))
  for _, id in pairs(ids) do
    if id and not skip[id] then
      skip[id] = true
      skipCount = skipCount + 1
    end
  end
end

-- First X of an index, in strategy order, that the pair may use. Every index member takes binds, so
-- a window of skipCount + 1 always holds a usable X when the index has one (and the same first one as
-- any wider window).
local pack = ARGV[7] == "p"
local function pickFrom(key)
  local w = skipCount + 1
  local ids
  if pack then ids = redis.call("ZREVRANGE", key, 0, w - 1) else ids = redis.call("ZRANGE", key, 0, w - 1) end
  for _, id in ipairs(ids) do
    if not skip[id] then return id end
  end
  return nil
end

local id, yid
local match, city = ARGV[8], ARGV[9]
local axe = meta().mode == "AXE"
local axyb = meta().mode == "AXYB"
local wantedExt = axe and ARGV[12] ~= "" and tonumber(ARGV[14]) or nil
-- The id of a named number when it has room and the pair may use it, else nil.
local function fitting(x)
  local named = x ~= "" and redis.call("HGET", K.xid, x)
  if not named or skip[named] then return nil end
  local r = numGet(named)
  if r and r.load < r.cap then return named end
  return nil
end
-- The first usable X of the area's rungs (strict: the city; ladder: city, province, any; none: any).
local function pickInArea()
  local rungs
  if match == "s" then
    rungs = { cityIndexKey(city) }
  elseif match == "l" then
    local prov = ARGV[10]
    if prov == "" then prov = redis.call("HGET", K.c2p, city) or "" end
    rungs = { cityIndexKey(city) }
    if prov ~= "" then rungs[#rungs + 1] = provinceIndexKey(prov) end
    rungs[#rungs + 1] = K.i
  else
    rungs = { K.i }
  end
  for _, key in ipairs(rungs) do
    local found = pickFrom(key)
    if found then return found end
  end
  return nil
end
if ARGV[12] ~= "" then
  local forced = fitting(ARGV[12])
  if forced and not (wantedExt and extHeld(forced, wantedExt)) then
    if not axyb then
      id = forced
    elseif ARGV[15] ~= ARGV[12] then
      yid = fitting(ARGV[15])
      if yid then id = forced end
    end
  end
else
  if ARGV[13] ~= "" then
    -- Sticky: in the load index means it takes binds now; a strict area looks in the city's index.
    local preferred = redis.call("HGET", K.xid, ARGV[13])
    if preferred and not skip[preferred] then
      local index = K.i
      if match == "s" then index = cityIndexKey(city) end
      if redis.call("ZSCORE", index, preferred) then id = preferred end
    end
  end
  if not id then id = pickInArea() end
  if id and axyb then
    -- Y: as X, with X skipped too (the window grows by one, so it still holds a usable Y if any).
    skip[id] = true
    skipCount = skipCount + 1
    yid = pickInArea()
    if not yid then id = nil end
  end
end
if not id then return CODE.exhausted end

local r = numStatic(id)
numAddLoad(r, 1)
reindex(r, now)
for i, u in ipairs(users) do holdAdd(u, id, helds[i]) end
local numbers = r.x
if yid then
  local ry = numStatic(yid)
  numAddLoad(ry, 1)
  reindex(ry, now)
  for i, u in ipairs(users) do holdAdd(u, yid, helds[i]) end
  numbers = r.x .. "," .. ry.x
end
metaAdd("tok", 1)
local token = metaNum("tok")
local untilMs = now + tonumber(ARGV[5])
-- B is part of the entry only in pair modes (AXB, AXYB).
if #users == 1 then b = "" end
-- AXE: X's load was below its capacity, which is at most its extension space, so one is free.
local ext = ""
if axe then ext = extTake(r, wantedExt) end
local raw = entryPut(orderKey, {
  xid = id, token = token, status = "r", untilMs = untilMs, a = a, b = b, ext = ext, yid = yid or "",
})
metaAdd("reserved", 1)
metaFlush()
return { 1, raw, numbers }
