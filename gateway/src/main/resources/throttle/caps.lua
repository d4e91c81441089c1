-- Relay's frequency caps: recipients' marketing sends across channels, in rolling windows. Each key is
-- a sorted set of one recipient's message ids scored by when each was counted (ms, the Redis server's
-- clock). One call checks a group of recipients, so that the Redis work per message stays a few
-- sorted-set commands, not a script call each: on one Redis, every recipient of a claimed or handed-over
-- group; on a Redis Cluster, those whose keys share a hash tag (a tenant's bucket), so that the call
-- touches one slot, as the cluster requires.
--
-- KEYS[k]: recipient k's set (a recipient may appear more than once: its messages count in order).
-- ARGV[1]: n, the number of rules; ARGV[2i], ARGV[2i + 1] (i = 1..n): rule i's window (ms) and most
--   messages in it; ARGV[2n + 1 + k]: the message counted against KEYS[k].
-- Returns, for each key k, two numbers: {0, 0} when its message is counted (now, or before: a retried
-- message counts once), or {i, ms} when rule i is full: ms is how long until it has room again.
--
-- The usual case costs three commands: the message is added, and when the whole set, stale entries
-- included, then holds no more than the smallest rule allows, no window can be over its rule. Only a
-- larger set is trimmed of the entries older than the longest window and counted window by window;
-- until then it holds at most that many entries, and it expires a longest window after its last one.

local call = redis.call
local t = call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rules = tonumber(ARGV[1])
local longest, fewest = 0, math.huge
local windows, mosts, since = {}, {}, {}
for i = 1, rules do
  windows[i], mosts[i] = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  since[i] = '(' .. (now - windows[i])
  longest = math.max(longest, windows[i])
  fewest = math.min(fewest, mosts[i])
end
local stale = '(' .. (now - longest)
-- As strings once, not converted at every command.
local nows, longests = tostring(now), tostring(longest)

-- Whether a rule is full for a message not in the set; returns the rule and the ms until it has room.
local function full(key)
  call('ZREMRANGEBYSCORE', key, '-inf', stale)
  for i = 1, rules do
    local count = call('ZCOUNT', key, since[i], '+inf')
    if count >= mosts[i] then
      local oldest = call('ZRANGEBYSCORE', key, since[i], '+inf', 'WITHSCORES', 'LIMIT', count - mosts[i], 1)
      return i, tonumber(oldest[2]) + windows[i] - now + 1
    end
  end
  return 0, 0
end

local out = {}
for k = 1, #KEYS do
  local key = KEYS[k]
  local member = ARGV[2 * rules + 1 + k]
  local rule, wait = 0, 0
  local added = call('ZADD', key, 'NX', nows, member) == 1
  -- Unless counted before, within the longest window (a retried message counts once):
  if added or tonumber(call('ZSCORE', key, member)) < now - longest then
    if not added or call('ZCARD', key) > fewest then
      -- Too many entries to know without counting: count without this message, add it if all rules allow.
      call('ZREM', key, member)
      rule, wait = full(key)
      if rule == 0 then
        call('ZADD', key, nows, member)
      end
    end
    if rule == 0 then
      call('PEXPIRE', key, longests)
    end
  end
  out[2 * k - 1] = rule
  out[2 * k] = wait
end
return out
