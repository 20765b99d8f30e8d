--[[
  One call of a pool function. The loader (src/scripts.ts) puts the includes in the order of its PRELUDE
  list at the top of the `bindpool_<content hash>` Functions library, this one last, then one
  `redis.register_function` per script file, whose body runs after `begin(KEYS, ARGV)`. Defined once per
  FUNCTION LOAD, not on every call. Needs Redis >= 7.0.

  Every pool function takes the same KEYS, the fixed keys of one pool (includes/keys.lua, src/keys.ts):
    KEYS[1] meta   KEYS[2] xid   KEYS[3] n (numbers)   KEYS[4] c2p   KEYS[5] i (load index)
    KEYS[6] cool   KEYS[7] exp
  and ARGV[1] = the pool's key base `<prefix>:{<pool>}:`, from which includes/keys.lua builds the dynamic
  keys of the same pool (hash tag).

  ARGV[1] may carry the caller's generation guard after the key base: `<generation>|<minToken>`, the
  generation the store object accepted and the highest fencing token it saw. `begin` then checks, before
  the function does anything, that the pool exists at that generation with `tok` >= minToken, and else
  fails the call with the error `BINDPOOL_STORE_LOST missing|rollback|generation` (mapped in
  src/scripts.ts). So every function and `batch` get the check in their own atomic step, for one HMGET
  of meta that they would mostly do anyway.

  Per-call state (the keys, meta and its dirty fields, batching, the bucket memo) lives in upvalues of the
  includes that `begin` resets: Redis runs one call at a time.

  Each script file's body becomes `local function op_<verbNoun>(ARGV)`, registered on its own and
  reachable from `batch`, which runs several pool writes in one call (see the end of the library).
  Scripts end with metaFlush(); inside a batch it waits for the batch's end.

  Codes (negative integers) are mapped to TypeScript in src/script-codes.ts.
]]
local CODE = {
  unknownPool = -1, modeMismatch = -2, unknownNumber = -3, exhausted = -4, userLimit = -5, lost = -6,
  unknownOrder = -7, conflict = -8, recovering = -9,
}
-- The caller's generation guard, checked once per call (see the header).
local function guardCheck(guard)
  local gen, minTok = string.match(guard, "^([^|]*)|(.*)$")
  local m = meta()
  if not m.mode then error({ err = "BINDPOOL_STORE_LOST missing" }) end
  if metaNum("tok") < (tonumber(minTok) or 0) then error({ err = "BINDPOOL_STORE_LOST rollback" }) end
  if m.gen ~= gen then error({ err = "BINDPOOL_STORE_LOST generation" }) end
end
-- The key layout this library reads and writes (src/keys.ts), recorded in meta `lv` when a pool is created.
-- A pool another layout wrote is refused, never misread ("1": written before layouts were recorded).
local LAYOUT = "2"
local function begin(keys, argv)
  -- The key base ends at the first "}:" (prefix and pool hold no braces); a guard may follow it.
  local base, guard = string.match(argv[1], "^([^{}]*{[^{}]*}:)(.*)$")
  useKeys(keys, base or argv[1])
  if bucketMemoUsed then
    bucketMemo.e, bucketMemo.u = {}, {}
    bucketMemoUsed = false
  end
  M = nil
  batching = false
  if next(dirty) then dirty = {} end
  if hashMemoN > 0 then hashMemo, hashMemoN = {}, 0 end
  if xMemoUsed then xMemo, xMemoUsed = {}, false end
  local m = meta()
  if m.mode and (m.lv or "1") ~= LAYOUT then
    error({ err = "BINDPOOL_STORE_LAYOUT " .. (m.lv or "1") .. " " .. LAYOUT })
  end
  if guard and guard ~= "" then guardCheck(guard) end
end
