-- Removes one connection of a user from a presence channel; 1 when it was the user's last.
-- KEYS: members, infos, conns, sockets
-- ARGV: key prefix, user id, socket id, membership record
return presence_leave(ARGV[1], KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], ARGV[3], ARGV[4])
