-- Removes a socket from a channel; 1 when the channel went from 1 to 0 connections (vacated),
-- which a hold ttl above 0 records as a held vacancy.
-- KEYS: channel sockets, app's occupied set, the channel's held vacancy
-- ARGV: key prefix, channel, socket id, membership record, hold ttl (ms)
return channel_leave(ARGV[1], KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[5]), ARGV[2], ARGV[3], ARGV[4])
