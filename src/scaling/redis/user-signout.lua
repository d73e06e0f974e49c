-- Forgets a signed-in connection; 1 when the user just went offline (last connection).
-- KEYS: user sockets
-- ARGV: key prefix, socket id, membership record
return user_signout(ARGV[1], KEYS[1], ARGV[2], ARGV[3])
