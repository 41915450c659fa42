-- pacekeeper shared budget, wire layout 1. The Rust model in core/src/shared/mod.rs (`step`) is this
-- script's line-by-line twin: change both together, and the shared vectors must still pass on both.
-- KEYS[1]: the budget's state hash; KEYS[2]: its lease sorted set (member: lease id, score: expiry).
-- ARGV (decimal integers, all below 2^53): 1 layout ("1"), 2 op (a acquire, r release, l lockout,
-- n learn, h heartbeat), 3 now_us (0: the server's TIME), 4 idle_ttl_us, 5 cost, 6 lease_ttl_us |
-- lease id | member id, 7 max_inflight, 8 max_wait_us | lockout_us | presence ttl_us, 9 n limits,
-- then n pairs (interval_us, burst).
-- Reply: {code, wait_us, lease, reason, now_us, expire_ms}. Numbers are doubles here (Lua 5.1): only
-- + - * and comparisons on integers below 2^53, so every value is exact; written to keys with '%.0f'.
if ARGV[1] ~= '1' then return redis.error_reply('ERR pacekeeper: wire layout mismatch') end
local function int(i)
  local v = tonumber(ARGV[i])
  if v == nil or v < 0 or v > 9007199254740991 or v ~= math.floor(v) then
    return error({err = 'ERR pacekeeper: bad argument ' .. i})
  end
  return v
end
local function f(x) return string.format('%.0f', x) end
local op = ARGV[2]
local now = int(3)
if now == 0 then
  if redis.replicate_commands then pcall(redis.replicate_commands) end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local idle, cost, a6, maxin, a8, n = int(4), int(5), int(6), int(7), int(8), int(9)
if n > 3 then return error({err = 'ERR pacekeeper: too many limits'}) end
local h = redis.call('HMGET', KEYS[1], 't1', 't2', 't3', 'lk', 'seq', 'ln', 'le1', 'lb1', 'le2', 'lb2', 'le3', 'lb3')
local function g(j) return tonumber(h[j]) or 0 end
local tat = {g(1), g(2), g(3)}
local lk = g(4)
local T, B = {}, {}
if op ~= 'n' and g(6) > 0 then
  n = g(6)
  for i = 1, n do T[i], B[i] = g(5 + 2 * i), g(6 + 2 * i) end
else
  for i = 1, n do T[i], B[i] = int(8 + 2 * i), int(9 + 2 * i) end
end
local function expire()
  local hz = math.max(tat[1], tat[2], tat[3], lk)
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if last[2] then hz = math.max(hz, tonumber(last[2])) end
  local ttl = math.max(hz - now, 0) + idle
  local ms = math.max(math.floor((ttl + 999) / 1000), 1)
  redis.call('PEXPIRE', KEYS[1], f(ms))
  redis.call('PEXPIRE', KEYS[2], f(ms))
  return ms
end
if op == 'a' then
  for i = 1, n do
    if cost > B[i] then return {3, 0, 0, i, now, 0} end
  end
  local s, why = now, 0
  if lk > s then s, why = lk, 4 end
  for i = 1, n do
    local e = tat[i] + cost * T[i] - B[i] * T[i]
    if e > s then s, why = e, i end
  end
  if maxin > 0 then
    local active = redis.call('ZCOUNT', KEYS[2], '(' .. f(now), '+inf')
    if active >= maxin then
      local first = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. f(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      return {2, math.max(s, tonumber(first[2])) - now, 0, 5, now, 0}
    end
  end
  local code = 0
  if s > now then
    if s - now > a8 then return {2, s - now, 0, why, now, 0} end
    code = 1
  else
    why = 0
  end
  local w = {}
  for i = 1, n do
    tat[i] = math.max(tat[i], s) + cost * T[i]
    w[#w + 1] = 't' .. i
    w[#w + 1] = f(tat[i])
  end
  local lease = 0
  if a6 > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', f(now))
    lease = g(5) + 1
    w[#w + 1] = 'seq'
    w[#w + 1] = f(lease)
    redis.call('ZADD', KEYS[2], f(s + a6), f(lease))
  end
  if #w > 0 then redis.call('HSET', KEYS[1], unpack(w)) end
  return {code, s - now, lease, why, now, expire()}
elseif op == 'r' then
  local found = 0
  if a6 > 0 then found = redis.call('ZREM', KEYS[2], f(a6)) end
  local w = {}
  if cost > 0 then
    for i = 1, n do
      if tat[i] > now then
        tat[i] = math.max(tat[i] - cost * T[i], now)
        w[#w + 1] = 't' .. i
        w[#w + 1] = f(tat[i])
      end
    end
  end
  local ms = 0
  if #w > 0 then
    redis.call('HSET', KEYS[1], unpack(w))
    ms = expire()
  end
  return {4, 0, found, 0, now, ms}
elseif op == 'l' then
  local ms = 0
  if now + a8 > lk then
    lk = now + a8
    redis.call('HSET', KEYS[1], 'lk', f(lk))
    ms = expire()
  end
  return {4, lk - now, 0, 4, now, ms}
elseif op == 'n' then
  if n == 0 then
    redis.call('HDEL', KEYS[1], 'ln', 'le1', 'lb1', 'le2', 'lb2', 'le3', 'lb3')
    return {4, 0, 0, 0, now, 0}
  end
  local w = {'ln', f(n)}
  for i = 1, n do
    w[#w + 1] = 'le' .. i
    w[#w + 1] = f(T[i])
    w[#w + 1] = 'lb' .. i
    w[#w + 1] = f(B[i])
  end
  redis.call('HSET', KEYS[1], unpack(w))
  if n < 3 then
    local d = {}
    for i = n + 1, 3 do
      d[#d + 1] = 'le' .. i
      d[#d + 1] = 'lb' .. i
    end
    redis.call('HDEL', KEYS[1], unpack(d))
  end
  return {4, 0, 0, 0, now, expire()}
elseif op == 'h' then
  local m = a6
  if m == 0 then
    m = g(5) + 1
    redis.call('HSET', KEYS[1], 'seq', f(m))
  end
  redis.call('HSET', KEYS[1], 'p' .. f(m), f(now + a8))
  local all = redis.call('HGETALL', KEYS[1])
  local live, dead = 0, {}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 1) == 'p' then
      if tonumber(all[i + 1]) > now then live = live + 1 else dead[#dead + 1] = all[i] end
    end
  end
  if #dead > 0 then redis.call('HDEL', KEYS[1], unpack(dead)) end
  return {4, live, m, 6, now, expire()}
end
return redis.error_reply('ERR pacekeeper: unknown op')
