--[[ Entries: e[orderKey] = xid|token|status|untilMs|a|b, status r(eserved) b(ound) l (releasing: the
     unbind is pending, X and the users stay held); the subscriptionId of a bound entry (kept while it is
     releasing) in s[orderKey]; its end time in `x:` (includes/expiry.lua). `sub` is nil when the entry
     has none.
     While a changeB is not settled, the B field is `b,previousB` (`prev`, "" when none: no extra bytes);
     the previous B holds X like the entry's own users. AXE entries (no B) keep `#<extension>` there;
     AXYB entries `b@<Y id>` (Y: B's number, held like X: the users on it and a load slot).
     `raw` is the packed entry with `|subscriptionId` appended when it has one, as the TypeScript side reads it. ]]
local function entryRaw(v, sub)
  if sub then return v .. "|" .. sub end
  return v
end
--[[ AXE extensions: `xe:<id>` is a bitmap of the extensions entries hold on X (bit n-1: extension n). ]]
-- Takes extension n on X (nil: the lowest free one) and returns it as callers dial it, zero-padded.
local function extTake(r, n)
  local key = extensionsKey(r.id)
  if not n then n = redis.call("BITPOS", key, 0) + 1 end
  redis.call("SETBIT", key, n - 1, 1)
  return string.format("%0" .. (tonumber(r.digits) or 4) .. "d", n)
end
local function extHeld(id, n)
  return redis.call("GETBIT", extensionsKey(id), n - 1) == 1
end
local ENTRY_FIELDS = "^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$"
-- bare: leave the subscriptionId unread (nil), for callers that neither reply with the entry nor write its
-- subscriptionId (entryPut keeps it, entryDel drops it all the same).
local function entryGet(orderKey, bare)
  local b = lhBucket("e", orderKey)
  local v, sub
  if bare then
    v = redis.call("HGET", entryBucketKey(b), orderKey)
  else
    local vs = redis.call("HMGET", entryBucketKey(b), orderKey, SUB .. orderKey)
    v, sub = vs[1], vs[2] or nil
  end
  if not v then return nil end
  local xid, token, status, untilMs, a, pb = string.match(v, ENTRY_FIELDS)
  local prev, ext, yid = "", "", ""
  if string.byte(pb, 1) == 35 then -- "#"
    pb, ext = "", string.sub(pb, 2)
  else
    local comma = string.find(pb, ",", 1, true)
    if comma then
      pb, prev = string.sub(pb, 1, comma - 1), string.sub(pb, comma + 1)
    else
      local at = string.find(pb, "@", 1, true)
      if at then pb, yid = string.sub(pb, 1, at - 1), string.sub(pb, at + 1) end
    end
  end
  -- confirm always stores one (an empty one too), so a bound entry always has it; a reservation none.
  if status == "r" then sub = nil end
  return {
    xid = xid, token = dec(token), status = status, untilMs = dec(untilMs), a = a, b = pb, prev = prev, ext = ext,
    yid = yid, sub = sub, raw = entryRaw(v, sub),
  }
end
-- Writes the entry, its subscriptionId when it is new or changed (both in one command), and its end time
-- (old: the entry as it was, nil when the orderKey has none; its status, untilMs and sub are read); returns
-- the packed form replies carry.
local function entryPut(orderKey, e, old)
  local v = e.xid .. "|" .. enc(e.token) .. "|" .. e.status .. "|" .. enc(e.untilMs) .. "|" .. e.a .. "|" .. e.b
  if e.ext and e.ext ~= "" then
    v = v .. "#" .. e.ext
  elseif e.yid and e.yid ~= "" then
    v = v .. "@" .. e.yid
  elseif e.prev and e.prev ~= "" then
    v = v .. "," .. e.prev
  end
  local b = lhBucket("e", orderKey)
  if e.sub and not (old and old.sub == e.sub) then
    redis.call("HSET", entryBucketKey(b), orderKey, v, SUB .. orderKey, e.sub)
  else
    redis.call("HSET", entryBucketKey(b), orderKey, v)
  end
  if old then
    expSet(b, orderKey, e.status, e.untilMs, old.status, old.untilMs)
  else
    lhGrew("e")
    -- A split may have moved the entry's bucket.
    expSet(lhBucket("e", orderKey), orderKey, e.status, e.untilMs)
  end
  return entryRaw(v, e.sub)
end
local function entryDel(orderKey, e)
  local b = lhBucket("e", orderKey)
  -- Every entry but a reservation may have a subscriptionId (confirm always stores one, an empty one too).
  if e.status == "r" then
    redis.call("HDEL", entryBucketKey(b), orderKey)
  else
    redis.call("HDEL", entryBucketKey(b), orderKey, SUB .. orderKey)
  end
  metaAdd("eN", -1)
  expDel(b, orderKey, e.status)
end
-- The meta counter an entry status counts in: reserved, or bound (bound and releasing, as in stats).
local function counterOf(status)
  if status == "r" then return "reserved" end
  return "bound"
end
-- The numbers of an entry as replies carry them: X, or in AXYB `X,Y`.
local function numbersOf(xid, yid)
  if yid == nil or yid == "" then return xOf(xid) end
  return xOf(xid) .. "," .. xOf(yid)
end

-- Frees an entry's slot: user holds (a pending previous B's too), X load (and Y's in AXYB), counters,
-- expiry.
local function entryFree(orderKey, e)
  entryDel(orderKey, e)
  local ids = { e.xid }
  if e.yid ~= "" then ids[2] = e.yid end
  for _, id in ipairs(ids) do
    for _, u in ipairs(usersOf(e.a, e.b)) do holdRemove(u, id) end
    local r = numStatic(id)
    if r then
      numAddLoad(r, -1)
      reindex(r, nil)
    end
  end
  if e.prev ~= "" then holdRemove(e.prev, e.xid) end
  if e.ext ~= "" then redis.call("SETBIT", extensionsKey(e.xid), tonumber(e.ext) - 1, 0) end
  metaAdd(counterOf(e.status), -1)
end
