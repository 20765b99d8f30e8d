--[[
  GCRA (generic cell rate algorithm) as a scheduler: one request of a shared budget. Each call takes the
  next free slot (the theoretical arrival time advances by one interval) and answers how long the caller
  must wait for it, so a caller never has to ask twice. Time comes from the Redis server, so every client
  judges by the same clock.

  Input:
    KEYS[1] the budget's key: its theoretical arrival time, µs
    ARGV[1] emission interval, µs (1e6 / requests per second)
    ARGV[2] burst: requests that may go back to back after a quiet spell (>= 1)
    ARGV[3] longest wait the caller accepts, µs ("": any)
  Output:
    { 1, waitUs, nowUs } a slot is taken: the request may go at server time nowUs + waitUs
    { 0, waitUs, nowUs } no slot taken: the next one would be waitUs away, beyond the longest wait
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then tat = now end
local wait = math.max(0, math.ceil(tat - (burst - 1) * interval - now))
if ARGV[3] ~= "" and wait > tonumber(ARGV[3]) then return { 0, wait, now } end
local nextTat = tat + interval
redis.call("SET", KEYS[1], string.format("%.17g", nextTat), "PX", math.ceil((nextTat - now) / 1000) + 1)
return { 1, wait, now }
