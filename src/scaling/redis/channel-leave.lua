-- Removes a socket from a channel; 1 when the channel went from 1 to 0 connections (vacated).
-- KEYS: channel sockets, app's occupied set
-- ARGV: key prefix, channel, socket id, membership record
return channel_leave(ARGV[1], KEYS[1], KEYS[2], ARGV[2], ARGV[3], ARGV[4])
