-- The membership rules every herald script shares; scripts.ts prepends this file to each script,
-- so a node reaped after a crash is cleaned by exactly the rules a live leave applies.
--
-- Each membership is stored twice: in its store (the hash value names the node that holds the
-- connection) and as a record in that node's owned set, which is how a dead node's entries are
-- found. Key names mirror redis-keys.ts; keep the two in step.

local function app_key(prefix, app_id)
  local escaped = string.gsub(app_id, '%%', '%%25')
  escaped = string.gsub(escaped, ':', '%%3A')
  return prefix .. ':app:' .. escaped .. ':'
end

local function owned_key(prefix, node_id)
  return prefix .. ':node:' .. node_id .. ':owned'
end

-- Channel index: `sockets` hashes socket id -> node id; `occupied` is the app's zset of occupied
-- channel names (all scored 0, so ZRANGEBYLEX answers prefix queries).

-- Held vacancies and removals (the vacate delay across nodes): a leave that vacates a channel,
-- or removes a member, with a hold ttl sets `vacancy` (or `removal`) in the same step; a join
-- that finds it deletes it and answers 2 (resumed) instead of 1; the node that reported the
-- leave claims it with a DEL when its delay is over. One DEL wins.

local function hold(key, ttl)
  if ttl > 0 then redis.call('SET', key, '1', 'PX', ttl) end
end

local function resumed(key)
  if redis.call('DEL', key) == 1 then return 2 end
  return 1
end

local function channel_join(sockets, occupied, owned, vacancy, channel, socket, node, record)
  if redis.call('HSETNX', sockets, socket, node) == 0 then return 0 end
  redis.call('SADD', owned, record)
  if redis.call('HLEN', sockets) > 1 then return 0 end
  redis.call('ZADD', occupied, 0, channel)
  return resumed(vacancy)
end

local function channel_leave(prefix, sockets, occupied, vacancy, ttl, channel, socket, record)
  local node = redis.call('HGET', sockets, socket)
  if not node then return 0 end
  redis.call('HDEL', sockets, socket)
  redis.call('SREM', owned_key(prefix, node), record)
  if redis.call('EXISTS', sockets) == 1 then return 0 end
  redis.call('ZREM', occupied, channel)
  hold(vacancy, ttl)
  return 1
end

-- Presence: `members` zsets user ids by join order; `infos` hashes user id -> '+' .. user_info
-- (or '' for none); `conns` hashes user id -> connection count; `sockets` hashes
-- socket id .. ' ' .. user id -> node id (socket ids hold no space).

local function presence_members(members, infos)
  local result = {}
  for _, user in ipairs(redis.call('ZRANGE', members, 0, -1)) do
    result[#result + 1] = user
    result[#result + 1] = redis.call('HGET', infos, user) or ''
  end
  return result
end

local function presence_join(members, infos, conns, sockets, owned, removal, user, socket, info, max, node, record)
  local present = redis.call('ZSCORE', members, user)
  if not present and redis.call('ZCARD', members) >= max then return { -1 } end
  local first = 0
  if redis.call('HSETNX', sockets, socket .. ' ' .. user, node) == 1 then
    redis.call('SADD', owned, record)
    if redis.call('HINCRBY', conns, user, 1) == 1 then
      local last = redis.call('ZRANGE', members, -1, -1, 'WITHSCORES')
      local order = 1
      if last[2] then order = tonumber(last[2]) + 1 end
      redis.call('ZADD', members, order, user)
      redis.call('HSET', infos, user, info)
      first = resumed(removal)
    end
  end
  local result = presence_members(members, infos)
  table.insert(result, 1, first)
  return result
end

local function presence_leave(prefix, members, infos, conns, sockets, removal, ttl, user, socket, record)
  local field = socket .. ' ' .. user
  local node = redis.call('HGET', sockets, field)
  if not node then return 0 end
  redis.call('HDEL', sockets, field)
  redis.call('SREM', owned_key(prefix, node), record)
  if redis.call('HINCRBY', conns, user, -1) > 0 then return 0 end
  redis.call('HDEL', conns, user)
  redis.call('ZREM', members, user)
  redis.call('HDEL', infos, user)
  hold(removal, ttl)
  return 1
end

-- Signed-in users: `sockets` hashes socket id -> node id per user; the user is online while the
-- hash exists.

local function user_signin(sockets, owned, socket, node, record)
  if redis.call('HSETNX', sockets, socket, node) == 0 then return 0 end
  redis.call('SADD', owned, record)
  if redis.call('HLEN', sockets) > 1 then return 0 end
  return 1
end

local function user_signout(prefix, sockets, socket, record)
  local node = redis.call('HGET', sockets, socket)
  if not node then return 0 end
  redis.call('HDEL', sockets, socket)
  redis.call('SREM', owned_key(prefix, node), record)
  if redis.call('EXISTS', sockets) == 1 then return 0 end
  return 1
end

-- The reply of reap-node.lua and reconcile-node.lua: { 0, kind, app, a, b, ... }, filled by
-- the returned report(kind, app, a, b); the caller sets result[1].
local function outcomes()
  local result = { 0 }
  local function report(kind, app, a, b)
    result[#result + 1] = kind
    result[#result + 1] = app
    result[#result + 1] = a
    result[#result + 1] = b
  end
  return result, report
end

-- Applies to one membership record the rule a live leave applies, reporting each consequence
-- with report(kind, app, a, b): 'vacated' or 'count' (a = channel), 'member' (a = channel,
-- b = user id whose last connection went) or 'offline' (a = user id). Used by the reaping of a
-- dead node and by a live node's reconciliation after an outage; `ttl` holds what it removes as
-- a live leave would.
local function leave_record(prefix, record, report, ttl)
  -- A record that does not decode is dropped rather than blocking every later pass.
  local ok, r = pcall(cjson.decode, record)
  if not ok or type(r) ~= 'table' then return end
  local kind, app = r[1], r[2]
  local a = app_key(prefix, app)
  if kind == 'c' then
    local channel, socket = r[3], r[4]
    if channel_leave(prefix, a .. 'channel:' .. channel, a .. 'channels', a .. 'vacancy:' .. channel,
        ttl, channel, socket, record) == 1 then
      report('vacated', app, channel, '')
    else
      report('count', app, channel, '')
    end
  elseif kind == 'p' then
    local channel, socket, user = r[3], r[4], r[5]
    local last = presence_leave(prefix, a .. 'presence:' .. channel, a .. 'presence-info:' .. channel,
      a .. 'presence-conns:' .. channel, a .. 'presence-sockets:' .. channel,
      a .. 'removal:' .. channel .. ' ' .. user, ttl, user, socket, record)
    if last == 1 then report('member', app, channel, user) end
  elseif kind == 'u' then
    local user, socket = r[3], r[4]
    if user_signout(prefix, a .. 'user:' .. user, socket, record) == 1 then
      report('offline', app, user, '')
    end
  end
end
