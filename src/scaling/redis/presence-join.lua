-- Adds a connection of a user to a presence channel, deciding fullness and first connection in
-- one step: { -1 } when full, else { first (0 or 1), user, info, user, info, ... } in join order.
-- KEYS: members, infos, conns, sockets, this node's owned set
-- ARGV: user id, socket id, stored info, max members, node id, membership record
return presence_join(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5],
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6])
