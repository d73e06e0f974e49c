-- Removes up to a batch of a dead node's memberships, each by the rule a live leave applies, so
-- every occupied/vacated, first/last and online/offline decision stays made exactly once.
-- Returns { remaining, kind, app, a, b, ... }, four fields per outcome: 'vacated' or 'count'
-- (a = channel), 'member' (a = channel, b = user id: its last connection is gone) or 'offline'
-- (a = user id); { -1 } when the node is alive again or this reaper lost its claim, and nothing
-- was touched.
-- KEYS: the node's owned set, its liveness key, its reaper claim, the set of nodes
-- ARGV: key prefix, node id, reaper id, batch size, claim ttl (ms), hold ttl (ms)
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('GET', KEYS[3]) ~= ARGV[3] then
  return { -1 }
end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local prefix, ttl = ARGV[1], tonumber(ARGV[6])
local result, report = outcomes()
for _, record in ipairs(redis.call('SPOP', KEYS[1], tonumber(ARGV[4]))) do
  leave_record(prefix, record, report, ttl)
end
local remaining = redis.call('SCARD', KEYS[1])
if remaining == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
result[1] = remaining
return result
