-- After an outage, on a live node: removes the memberships its owned set still records but its
-- connections no longer hold (leaves that failed while Redis was unreachable), each by the rule
-- a live leave applies. Returns { 0, kind, app, a, b, ... } as reap-node.lua does.
-- KEYS: the node's owned set
-- ARGV: key prefix, hold ttl (ms), then every membership record the node's live connections hold
local live = {}
for i = 3, #ARGV do live[ARGV[i]] = true end
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local result, report = outcomes()
for _, record in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not live[record] then
    redis.call('SREM', KEYS[1], record)
    leave_record(prefix, record, report, ttl)
  end
end
return result
