-- The members of a presence channel in join order, as one snapshot: { user, info, ... }.
-- KEYS: members, infos
return presence_members(KEYS[1], KEYS[2])
