--[[ Numbers: n[id] = x|state|capacity|cooldownUntilMs|quarantineUntilMs|digits|city|province, state
     a(ctive) d(raining) q(uarantined) r(etired); digits: AXE's extension length ("" other modes). The
     load (entries on X) is apart, in ld[id] (absent: 0), so a reserve or a release changes one counter
     and leaves the record as it is. ]]
local NUMBER_FIELDS = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
-- X's record without its load (nil: no such X).
local function numStatic(id)
  local v = redis.call("HGET", K.n, id)
  if not v then return nil end
  -- One pattern match reads the 8 fields (several times faster than splitting).
  local x, state, cap, cool, quar, digits, city, prov = string.match(v, NUMBER_FIELDS)
  return {
    id = id, x = x, state = state, cap = tonumber(cap), cool = tonumber(cool), quar = tonumber(quar), digits = digits,
    city = city, prov = prov,
  }
end
-- X's record with its load.
local function numGet(id)
  local r = numStatic(id)
  if r then r.load = tonumber(redis.call("HGET", K.ld, id)) or 0 end
  return r
end
-- Adds d to X's load (r.load is the new load).
local function numAddLoad(r, d)
  r.load = redis.call("HINCRBY", K.ld, r.id, d)
end
-- Writes X's record (not its load).
local function numPut(r)
  local v = r.x .. "|" .. r.state .. "|" .. fmt(r.cap) .. "|" .. fmt(r.cool) .. "|" .. fmt(r.quar) .. "|" .. r.digits
    .. "|" .. r.city .. "|" .. r.prov
  redis.call("HSET", K.n, r.id, v)
end
-- The load indexes X is in when it takes binds: the pool's, its city's and its province's.
local function indexKeys(r)
  local ks = { K.i }
  if r.city ~= "" then ks[#ks + 1] = cityIndexKey(r.city) end
  if r.prov ~= "" then ks[#ks + 1] = provinceIndexKey(r.prov) end
  return ks
end
-- When X may take binds again, judged by its state alone (0: now, -1: never without a state change).
local function backAt(r)
  if r.state == "a" then return r.cool end
  if r.state == "q" and r.quar > 0 then return math.max(r.cool, r.quar) end
  return -1
end
-- Notes that a member of `cool` is due at `at` (meta wake stays at or before every due time).
local function wakeAt(at)
  local w = metaNum("wake")
  if w == 0 or at < w then metaSetNum("wake", at) end
end
--[[ Puts X in or out of the load indexes. X is indexed iff it takes binds (active or lifted quarantine,
     cooldown over, load below capacity). X waiting for a time goes to `cool` and comes back when a
     reserve at or after that time pops it; `now` = nil (caller without a clock) defers every timer.
     X can only be in `cool` while its timer fields say it waits (backAt > 0), so `cool` is written only
     then; `force`: the caller changed the state or cleared timers, so X may be in `cool` anyway. ]]
local function reindex(r, now, force)
  local back = backAt(r)
  local city, prov = r.city, r.prov
  if back >= 0 and r.load < r.cap and (back == 0 or (now and back <= now)) then
    local score = fmt(r.load)
    redis.call("ZADD", K.i, score, r.id)
    if city ~= "" then redis.call("ZADD", cityIndexKey(city), score, r.id) end
    if prov ~= "" then redis.call("ZADD", provinceIndexKey(prov), score, r.id) end
    if force or back > 0 then redis.call("ZREM", K.cool, r.id) end
  else
    redis.call("ZREM", K.i, r.id)
    if city ~= "" then redis.call("ZREM", cityIndexKey(city), r.id) end
    if prov ~= "" then redis.call("ZREM", provinceIndexKey(prov), r.id) end
    if back > 0 and (not now or back > now) then
      redis.call("ZADD", K.cool, back, r.id)
      wakeAt(back)
    elseif force or back > 0 then
      redis.call("ZREM", K.cool, r.id)
    end
  end
end
-- Clears timers that have passed, so later reindex calls without a clock see X as available.
local function settle(r, now)
  if r.cool > 0 and r.cool <= now then r.cool = 0 end
  if r.state == "q" and r.quar > 0 and r.quar <= now then
    r.state = "a"
    r.quar = 0
  end
end
-- X phone of an id, for replies; kept for the call (begin drops it), so a page of entries asks Redis once
-- per X.
local xMemo, xMemoUsed = {}, false
local function xOf(id)
  local x = xMemo[id]
  if x then return x end
  local v = redis.call("HGET", K.n, id)
  if not v then return "" end
  x = string.match(v, "^[^|]*")
  xMemo[id] = x
  xMemoUsed = true
  return x
end
