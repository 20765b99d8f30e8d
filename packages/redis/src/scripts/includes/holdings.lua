--[[ Users: u[user] = comma separated X ids it holds (a linear-hashing table, includes/hashing.lua). ]]
local function heldBy(user)
  local v = lhGet("u", user)
  if not v or v == "" then return {} end
  return split(v, ",")
end
-- `held`: the user's list when the caller already read it.
local function holdAdd(user, id, held)
  held = held or heldBy(user)
  held[#held + 1] = id
  lhSet("u", user, table.concat(held, ","))
end
local function holdRemove(user, id)
  local held, kept = heldBy(user), {}
  for _, h in ipairs(held) do if h ~= id then kept[#kept + 1] = h end end
  if #kept == 0 then lhDel("u", user) else lhSet("u", user, table.concat(kept, ",")) end
end
-- The user numbers an entry occupies on its X (usersOf in core: B counts in pair modes).
local function usersOf(a, b)
  if b ~= "" and meta().pair == "1" then return { a, b } end
  return { a }
end
