-- A node leaving the cluster on purpose: its liveness goes now, and so does its registration,
-- unless it still holds memberships (a leave that failed), which the others then reap at once.
-- KEYS: the node's liveness key, its owned set, the set of nodes
-- ARGV: node id
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
return 0
