--[[ Text forms of values in stored records: decimal (`fmt`), short base 36 (`enc`/`dec`), `split`. ]]
-- Decimal form of a number, as "%.17g" writes it; integers (the usual case) take the much cheaper "%d".
local function fmt(n)
  if n == math.floor(n) and n > -9007199254740992 and n < 9007199254740992 then return string.format("%d", n) end
  return string.format("%.17g", n)
end

-- Splits s on the plain separator; the last of `max` fields takes the rest of the string.
local function split(s, sep, max)
  local t, i = {}, 1
  while true do
    if max and #t == max - 1 then t[#t + 1] = string.sub(s, i); return t end
    local j = string.find(s, sep, i, true)
    if not j then t[#t + 1] = string.sub(s, i); return t end
    t[#t + 1] = string.sub(s, i, j - 1)
    i = j + 1
  end
end

-- Short form of a number: base 36 for non-negative integers, else "=" and the decimal; two digits per
-- table lookup, one string per call.
-- B36_2[v]: two base-36 digits of 0 <= v < 1296; B36_1[v]: v < 1296 without a leading zero.
-- Filled on first use: the standard library is not reachable while FUNCTION LOAD runs the library.
local B36_2, B36_1
local function b36Tables()
  B36_2, B36_1 = {}, {}
  local d = "0123456789abcdefghijklmnopqrstuvwxyz"
  for v = 0, 1295 do
    local hi, lo = math.floor(v / 36), v % 36
    B36_2[v] = string.sub(d, hi + 1, hi + 1) .. string.sub(d, lo + 1, lo + 1)
    B36_1[v] = hi == 0 and string.sub(d, lo + 1, lo + 1) or B36_2[v]
  end
end
local function enc(n)
  if n < 0 or n ~= math.floor(n) or n > 9007199254740991 then return "=" .. string.format("%.17g", n) end
  if not B36_1 then b36Tables() end
  if n < 1296 then return B36_1[n] end
  local d0 = n % 1296
  n = (n - d0) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d0] end
  local d1 = n % 1296
  n = (n - d1) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d1] .. B36_2[d0] end
  local d2 = n % 1296
  n = (n - d2) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0] end
  local d3 = n % 1296
  n = (n - d3) / 1296
  if n < 1296 then return B36_1[n] .. B36_2[d3] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0] end
  local d4 = n % 1296
  n = (n - d4) / 1296
  return B36_1[n] .. B36_2[d4] .. B36_2[d3] .. B36_2[d2] .. B36_2[d1] .. B36_2[d0]
end
local function dec(s)
  if string.sub(s, 1, 1) == "=" then return tonumber(string.sub(s, 2)) end
  return tonumber(s, 36)
end
