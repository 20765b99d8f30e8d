--[[
  GCRA (generic cell rate algorithm): one request of a shared budget. Time comes from the Redis server,
  so every client judges by the same clock.

  Input:
    KEYS[1] the budget's key: its theoretical arrival time, µs
    ARGV[1] emission interval, µs (1e6 / requests per second)
    ARGV[2] burst: requests that may go back to back after a quiet spell (>= 1)
  Output:
    { 0, nowUs } granted at the server time nowUs
    { waitUs, nowUs } refused; the next request can be granted in waitUs
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then tat = now end
local allowAt = tat - (burst - 1) * interval
if now < allowAt then return { math.ceil(allowAt - now), now } end
local nextTat = tat + interval
redis.call("SET", KEYS[1], string.format("%.0f", nextTat), "PX", math.ceil((nextTat - now) / 1000) + 1)
return { 0, now }
