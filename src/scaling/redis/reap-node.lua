-- Removes up to a batch of a dead node's memberships, each by the rule a live leave applies, so
-- every occupied/vacated, first/last and online/offline decision stays made exactly once.
-- Returns { remaining, kind, app, a, b, ... }, four fields per outcome: 'vacated' or 'count'
-- (a = channel), 'member' (a = channel, b = user id: its last connection is gone) or 'offline'
-- (a = user id); { -1 } when the node is alive again or this reaper lost its claim, and nothing
-- was touched.
-- KEYS: the node's owned set, its liveness key, its reaper claim, the set of nodes
-- ARGV: key prefix, node id, reaper id, batch size, claim ttl (ms)
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('GET', KEYS[3]) ~= ARGV[3] then
  return { -1 }
end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local prefix = ARGV[1]
local result = { 0 }
local function report(kind, app, a, b)
  result[#result + 1] = kind
  result[#result + 1] = app
  result[#result + 1] = a
  result[#result + 1] = b
end
for _, record in ipairs(redis.call('SPOP', KEYS[1], tonumber(ARGV[4]))) do
  -- A record that does not decode is dropped rather than blocking every later reap.
  local ok, r = pcall(cjson.decode, record)
  if ok and type(r) == 'table' then
    local kind, app = r[1], r[2]
    local a = app_key(prefix, app)
    if kind == 'c' then
      local channel, socket = r[3], r[4]
      if channel_leave(prefix, a .. 'channel:' .. channel, a .. 'channels', channel, socket, record) == 1 then
        report('vacated', app, channel, '')
      else
        report('count', app, channel, '')
      end
    elseif kind == 'p' then
      local channel, socket, user = r[3], r[4], r[5]
      local last = presence_leave(prefix, a .. 'presence:' .. channel, a .. 'presence-info:' .. channel,
        a .. 'presence-conns:' .. channel, a .. 'presence-sockets:' .. channel, user, socket, record)
      if last == 1 then report('member', app, channel, user) end
    elseif kind == 'u' then
      local user, socket = r[3], r[4]
      if user_signout(prefix, a .. 'user:' .. user, socket, record) == 1 then
        report('offline', app, user, '')
      end
    end
  end
end
local remaining = redis.call('SCARD', KEYS[1])
if remaining == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
result[1] = remaining
return result
