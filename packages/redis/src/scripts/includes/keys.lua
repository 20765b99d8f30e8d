--[[
  Every Redis key name the pool functions use, built here and nowhere else. Mirrors `PoolKeys` in
  src/keys.ts, which documents the layout (change the two together): `K` holds the fixed keys, passed as
  KEYS[1..7] in the order of `PoolKeys.fixed`; `<name>Key(...)` builds the dynamic key that
  `PoolKeys.<name>(...)` builds, from the pool's key base `P` (`<prefix>:{<pool>}:`, ARGV[1]), so every
  key of a pool shares its hash tag (one Cluster slot).
]]
local P
local K = {}
-- Called by `begin` (includes/call.lua) with the call's KEYS and key base.
local function useKeys(keys, base)
  P = base
  K.meta, K.xid, K.n, K.c2p, K.i, K.cool, K.exp = keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], keys[7]
  -- Two more keys of one name per pool, built here rather than passed (the KEYS stay as they were):
  -- `rsv`, the lease ends of the pool's reservations (includes/expiry.lua), and `ld`, the load of each X
  -- (includes/numbers.lua).
  K.rsv, K.ld = base .. "rsv", base .. "ld"
end
-- `e:<bucket>`: entries and their subscriptionIds (a linear-hashing table, includes/hashing.lua).
local function entryBucketKey(b)
  return P .. "e:" .. b
end
-- `x:<bucket>`: end times of the bound and releasing entries of bucket `e:<bucket>` (includes/expiry.lua).
local function expiryBucketKey(b)
  return P .. "x:" .. b
end
-- `u:<bucket>`: the X ids each user holds (a linear-hashing table).
local function userBucketKey(b)
  return P .. "u:" .. b
end
-- `ic:<city>`: the load index of a city's X.
local function cityIndexKey(city)
  return P .. "ic:" .. city
end
-- `ip:<province>`: the load index of a province's X.
local function provinceIndexKey(province)
  return P .. "ip:" .. province
end
-- `xe:<X id>`: AXE, the bitmap of the extensions entries hold on X.
local function extensionsKey(id)
  return P .. "xe:" .. id
end
