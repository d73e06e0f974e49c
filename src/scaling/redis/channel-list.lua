-- Occupied channels whose name starts with a prefix, with their connection counts, as one
-- snapshot: { name, count, name, count, ... }.
-- KEYS: app's occupied set
-- ARGV: key prefix of the app's channel sockets hashes, channel name prefix
local min, max = '-', '+'
if ARGV[2] ~= '' then
  -- '\255' never occurs in UTF-8, so it sorts after every name that starts with the prefix.
  min, max = '[' .. ARGV[2], '[' .. ARGV[2] .. '\255'
end
local result = {}
for _, channel in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], min, max)) do
  local count = redis.call('HLEN', ARGV[1] .. channel)
  if count > 0 then
    result[#result + 1] = channel
    result[#result + 1] = count
  end
end
return result
