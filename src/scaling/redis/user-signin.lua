-- Records a signed-in connection; 1 when the user just came online (first connection).
-- KEYS: user sockets, this node's owned set
-- ARGV: socket id, node id, membership record
return user_signin(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
