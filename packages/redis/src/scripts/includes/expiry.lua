--[[ The expiry index. A reservation's lease end sits in `rsv` (one zset for the pool, scored in ms: it
     holds only the binds in flight, so it stays small). Any other entry's end sits in `x:<bucket>` (the
     entry's bucket, a zset scored in ms), and K.exp holds per `x:` bucket a lower bound of its earliest
     end (member = bucket; absent only when the bucket is empty).
     Writes keep that bound for at most one command: a new or earlier end lowers it (ZADD LT); a later end
     or a removed entry leaves it as it is, so it may lie below the bucket's earliest end. expiredEntries
     (the sweeper's read) sets a bound right when it reads the bucket. ]]
-- Sets K.exp (earliest end per expiry bucket) from bucket b.
local function expSync(b)
  local first = redis.call("ZRANGE", expiryBucketKey(b), 0, 0, "WITHSCORES")
  if first[1] then redis.call("ZADD", K.exp, first[2], b) else redis.call("ZREM", K.exp, b) end
end
-- Indexes the end of member (in entry bucket b) at newMs for an entry of `status`; oldStatus and oldMs:
-- how it was indexed before (nil when new).
local function expSet(b, member, status, newMs, oldStatus, oldMs)
  if status == oldStatus and newMs == oldMs then return end
  local score = fmt(newMs)
  if status == "r" then
    redis.call("ZADD", K.rsv, score, member)
    if oldStatus and oldStatus ~= "r" then redis.call("ZREM", expiryBucketKey(b), member) end
    return
  end
  redis.call("ZADD", expiryBucketKey(b), score, member)
  if oldStatus == "r" then
    redis.call("ZREM", K.rsv, member)
  elseif oldStatus and newMs >= oldMs then
    return -- the bucket's bound is at most oldMs already
  end
  redis.call("ZADD", K.exp, "LT", score, b)
end
local function expDel(b, member, status)
  if status == "r" then
    redis.call("ZREM", K.rsv, member)
  else
    redis.call("ZREM", expiryBucketKey(b), member)
  end
end
