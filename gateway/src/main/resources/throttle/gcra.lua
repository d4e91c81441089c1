-- Relay's rate limits: GCRA (the generic cell rate algorithm) over one or more buckets at once, with
-- an adaptive effective rate per bucket. One script for every limit (provider account, tenant,
-- campaign); the buckets of one call share a hash tag, so the script runs on Redis Cluster too.
--
-- Each bucket is a hash: tat (the theoretical arrival time, ms), and when the provider throttled it,
-- base (the effective rate set then, per second) and cut (when, ms). The effective rate climbs back
-- from base by `recovery` per second until it is the configured rate again.
--
-- KEYS: the buckets.
-- ARGV[1]: "reserve" or "slow".
-- ARGV[2]: reserve: how many cells (messages) are wanted; slow: the provider's Retry-After in ms (0: none).
-- ARGV[3 + 4*(i-1) .. 6 + 4*(i-1)]: bucket i's rate (per second), burst (cells), floor rate and recovery
--   (per second each second).
-- Returns, for reserve: {granted, wait_ms until one more cell, index of the binding bucket (1-based),
-- effective rate of bucket 1 in thousandths}; for slow: {0, 0, 1, effective rate in thousandths}.
-- Time is the Redis server's (TIME), the one clock every instance shares.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local op = ARGV[1]
local IDLE_MS = 3600000

local function effective(h, rate, recovery)
  local base = tonumber(h[2])
  local cut = tonumber(h[3])
  if not base or not cut then
    return rate
  end
  local r = base + recovery * (now - cut) / 1000
  if r >= rate then
    return rate
  end
  return r
end

local function read(key)
  return redis.call('HMGET', key, 'tat', 'base', 'cut')
end

if op == 'slow' then
  local key = KEYS[1]
  local rate, floor, recovery = tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local retryAfter = tonumber(ARGV[2])
  local h = read(key)
  local eff = effective(h, rate, recovery)
  local cut = tonumber(h[3])
  -- One slowdown per second: a whole batch, or every instance, hearing 429 at once is one signal.
  if not cut or now - cut >= 1000 then
    eff = math.max(floor, eff / 2)
    redis.call('HSET', key, 'base', tostring(eff), 'cut', tostring(now))
  end
  if retryAfter > 0 then
    local T = 1000 / eff
    local tau = tonumber(ARGV[4]) * T
    local tat = math.max(tonumber(h[1]) or now, now + retryAfter + tau - T)
    redis.call('HSET', key, 'tat', tostring(tat))
  end
  redis.call('PEXPIRE', key, IDLE_MS)
  return {0, 0, 1, math.floor(eff * 1000)}
end

local wanted = tonumber(ARGV[2])
local n = #KEYS
local states = {}
local granted = wanted
local binding = 1
for i = 1, n do
  local base = 3 + 4 * (i - 1)
  local rate, burst, recovery = tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 3])
  local h = read(KEYS[i])
  local eff = effective(h, rate, recovery)
  local T = 1000 / eff
  local tau = burst * T
  local tat = math.max(tonumber(h[1]) or now, now)
  local fits = math.floor((now + tau - tat) / T + 1e-9)
  if fits < 0 then
    fits = 0
  end
  if fits < granted then
    granted = fits
    binding = i
  end
  states[i] = {T = T, tau = tau, tat = tat, eff = eff}
end
local wait = 0
for i = 1, n do
  local s = states[i]
  local tat = s.tat + granted * s.T
  if granted > 0 then
    redis.call('HSET', KEYS[i], 'tat', tostring(tat))
    redis.call('PEXPIRE', KEYS[i], IDLE_MS)
  end
  local w = tat + s.T - s.tau - now
  if w > wait then
    wait = w
  end
end
return {granted, math.ceil(wait), binding, math.floor(states[1].eff * 1000)}
