-- Adds a socket to a channel; 1 when the channel went from 0 to 1 connections (occupied).
-- KEYS: channel sockets, app's occupied set, this node's owned set
-- ARGV: channel, socket id, node id, membership record
return channel_join(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
