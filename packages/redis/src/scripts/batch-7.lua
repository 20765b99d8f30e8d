--[[
  Several pool writes in one call, run in order as if called one after another (each sees the writes
  before it); the meta counters are written once, at the end. RedisStore sends the writes that callers
  start in the same event-loop turn this way, so Redis pays the per-call costs once for all of them. An
  operation that fails with a Lua error answers that error for itself and the batch goes on; its own
  partial writes stay, as they would when it runs alone.

  Input:
    KEYS[1..7] the pool's fixed keys (includes/keys.lua)
    ARGV[1] pool key base
    ARGV[2..] per operation: its name (verbNoun, one of OPS), n, then its n arguments (its own ARGV[2..])
  Output:
    one reply per operation, in order: what it answers when called alone, or an error
]]
local out, i, n = {}, 2, #ARGV
local base = ARGV[1]
batching = true
while i <= n do
  local op, count = OPS[ARGV[i]], tonumber(ARGV[i + 1])
  local argv = { base }
  for j = 1, count do argv[j + 1] = ARGV[i + 1 + j] end
  if not op then
    out[#out + 1] = { err = "ERR bindpool: unknown batch operation " .. tostring(ARGV[i]) }
  else
    local ok, reply = pcall(op, argv)
    if ok then
      out[#out + 1] = reply
    elseif type(reply) == "table" and reply.err then
      out[#out + 1] = { err = reply.err }
    else
      out[#out + 1] = { err = "ERR " .. tostring(reply) }
    end
  end
  i = i + 2 + count
end
batching = false
metaFlush()
return out
