-- Reads users' stored states from one partition's keys, refusing when the partition's checkpoint
-- is missing: then Redis lost its data (restarted empty, flushed, failed over without it) and a
-- missing user is not a new user; the caller rebuilds the partition from its state topic first.
-- KEYS[1]     the partition's checkpoint key
-- KEYS[2…]    user keys (hashes: v = version, s = stored bytes)
-- Returns -1 when the checkpoint is missing, else one bulk string (or false) per user key.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
local out = {}
for i = 2, #KEYS do
  out[i - 1] = redis.call('HGET', KEYS[i], 's')
end
return out
