-- Adds a socket to a channel: 1 when the channel went from 0 to 1 connections (occupied), 2 when
-- it did and took back its held vacancy (resumed), else 0.
-- KEYS: channel sockets, app's occupied set, this node's owned set, the channel's held vacancy
-- ARGV: channel, socket id, node id, membership record
return channel_join(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
