-- Relay's frequency caps: recipients' marketing sends across channels, in rolling windows. Each key is
-- a sorted set of one recipient's message ids scored by when each was counted (ms, the Redis server's
-- clock). One call checks a group of recipients whose keys share a hash tag (a tenant's bucket), so
-- that the call touches one slot, as Redis Cluster requires, and the Redis work per message stays
-- a few sorted-set commands, not a script call each.
--
-- KEYS[k]: recipient k's set (a recipient may appear more than once: its messages count in order).
-- ARGV[1]: n, the number of rules; ARGV[2i], ARGV[2i + 1] (i = 1..n): rule i's window (ms) and most
--   messages in it; ARGV[2n + 1 + k]: the message counted against KEYS[k].
-- Returns, for each key k, two numbers: {0, 0} when its message is counted (now, or before: a retried
-- message counts once), or {i, ms} when rule i is full: ms is how long until it has room again.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rules = tonumber(ARGV[1])
local longest = 0
for i = 1, rules do
  longest = math.max(longest, tonumber(ARGV[2 * i]))
end
local out = {}
for k = 1, #KEYS do
  local key = KEYS[k]
  local member = ARGV[2 * rules + 1 + k]
  local rule, wait = 0, 0
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - longest))
  if not redis.call('ZSCORE', key, member) then
    for i = 1, rules do
      local window, most = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
      local count = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
      if count >= most then
        local oldest = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT',
          count - most, 1)
        rule, wait = i, tonumber(oldest[2]) + window - now + 1
        break
      end
    end
    if rule == 0 then
      redis.call('ZADD', key, now, member)
      redis.call('PEXPIRE', key, longest)
    end
  end
  out[2 * k - 1] = rule
  out[2 * k] = wait
end
return out
