-- Relay's frequency caps: one recipient's marketing sends across channels, in rolling windows. The key
-- is a sorted set of message ids scored by when each was counted (ms, the Redis server's clock); it is
-- one recipient's, so it is alone in its hash slot.
--
-- KEYS[1]: the recipient's set.
-- ARGV[1]: the message (its member); ARGV[2 + 2*(i-1)], ARGV[3 + 2*(i-1)]: rule i's window (ms) and most
--   messages in it.
-- Returns {0, 0} when the message is counted (now, or before: a retried message counts once), or
-- {i, ms} when rule i is full: ms is how long until it has room again.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local member = ARGV[1]
local longest = 0
for i = 2, #ARGV, 2 do
  longest = math.max(longest, tonumber(ARGV[i]))
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - longest))
if redis.call('ZSCORE', key, member) then
  return {0, 0}
end
for i = 2, #ARGV, 2 do
  local window, most = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local count = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
  if count >= most then
    local oldest = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT',
      count - most, 1)
    return {i / 2, tonumber(oldest[2]) + window - now + 1}
  end
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, longest)
return {0, 0}
