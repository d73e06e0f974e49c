-- Removes one connection of a user from a presence channel; 1 when it was the user's last, which
-- a hold ttl above 0 records as a held removal.
-- KEYS: members, infos, conns, sockets, the user's held removal
-- ARGV: key prefix, user id, socket id, membership record, hold ttl (ms)
return presence_leave(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], tonumber(ARGV[5]),
  ARGV[2], ARGV[3], ARGV[4])
