--[[ The expiry index: each entry's end time sits in `x:<bucket>` (the entry's bucket, a zset scored in ms),
     and K.exp holds every `x:` bucket's earliest end (member = bucket), so the due entries of the whole
     pool are found from the first few buckets of K.exp. ]]
-- Sets K.exp (earliest end per expiry bucket) from bucket b.
local function expSync(b)
  local first = redis.call("ZRANGE", expiryBucketKey(b), 0, 0, "WITHSCORES")
  if first[1] then redis.call("ZADD", K.exp, first[2], b) else redis.call("ZREM", K.exp, b) end
end
-- Puts member in expiry bucket b at newMs (oldMs: its previous end, nil when new), keeping K.exp exact.
local function expSet(b, member, newMs, oldMs)
  local score = fmt(newMs)
  redis.call("ZADD", expiryBucketKey(b), score, member)
  if not oldMs then
    redis.call("ZADD", K.exp, "LT", score, b)
    return
  end
  local min = tonumber(redis.call("ZSCORE", K.exp, b))
  if not min or newMs < min then
    redis.call("ZADD", K.exp, score, b)
  elseif oldMs <= min and newMs > oldMs then
    expSync(b)
  end
end
local function expDel(b, member, oldMs)
  redis.call("ZREM", expiryBucketKey(b), member)
  local min = tonumber(redis.call("ZSCORE", K.exp, b))
  if min and oldMs <= min then expSync(b) end
end
