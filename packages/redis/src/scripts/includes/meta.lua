--[[ meta, read once per call (one HMGET) and written once at the end (`metaFlush`, one HSET):
     mode, umax (X per user, 0 none), pair (1: B counts), tok (fencing counter), reserved/bound counts,
     linear-hash state eL eS eN / uL uS uN, wake (no member of `cool` is due before it; 0: cool is empty),
     gen (generation: new when the pool is created or rebuilt), rec (1 while recovering: bindings may be
     missing until finishRecovery), lv (the key layout that wrote the pool, includes/call.lua).
     Scripts that change it call metaFlush before returning. ]]
local META_FIELDS = {
  "mode", "umax", "pair", "tok", "reserved", "bound", "eL", "eS", "eN", "uL", "uS", "uN", "wake", "gen", "rec", "lv",
}
-- Per call (reset by `begin`): the cached meta and the fields changed since the last flush.
local M, dirty = nil, {}
-- True while `batch` runs several operations in one call: metaFlush waits for the end of the batch.
local batching = false
-- One HMGET per call; a field's string becomes a number the first time metaNum reads it (nil: absent).
-- mode and pair stay strings.
local META_AT = {
  mode = 1, umax = 2, pair = 3, tok = 4, reserved = 5, bound = 6, eL = 7, eS = 8, eN = 9, uL = 10, uS = 11, uN = 12,
  wake = 13, gen = 14, rec = 15, lv = 16,
}
local metaRaw
local function meta()
  if not M then
    metaRaw = redis.call("HMGET", K.meta, unpack(META_FIELDS))
    M = {
      mode = metaRaw[1] or nil, pair = metaRaw[3] or nil, wake = metaRaw[13] or nil, gen = metaRaw[14] or nil,
      rec = metaRaw[15] or nil, lv = metaRaw[16] or nil,
    }
  end
  return M
end
local function metaNum(f)
  local m = M or meta()
  local v = m[f]
  if v == nil then
    v = tonumber(metaRaw[META_AT[f]]) or 0
    m[f] = v
  elseif type(v) == "string" then
    v = tonumber(v) or 0
    m[f] = v
  end
  return v
end
local function metaAdd(f, d)
  meta()[f] = metaNum(f) + d
  dirty[f] = true
end
local function metaSetNum(f, v)
  meta()[f] = v
  dirty[f] = true
end
local function metaFlush()
  if batching then return end
  local args = {}
  for f in pairs(dirty) do
    args[#args + 1] = f
    args[#args + 1] = fmt(M[f])
  end
  if #args > 0 then redis.call("HSET", K.meta, unpack(args)) end
  dirty = {}
end
