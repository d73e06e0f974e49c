-- Adds a connection of a user to a presence channel, deciding fullness and first connection in
-- one step: { -1 } when full, else { first, user, info, user, info, ... } in join order, first
-- being 0, 1, or 2 when first and the user's held removal was taken back (resumed).
-- KEYS: members, infos, conns, sockets, this node's owned set, the user's held removal
-- ARGV: user id, socket id, stored info, max members, node id, membership record
return presence_join(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6],
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6])
