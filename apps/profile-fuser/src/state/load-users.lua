-- Reads users' stored states from one partition's keys, refusing when the partition's checkpoint
-- is missing: then Redis lost its data (restarted empty, flushed, failed over without it) and a
-- missing user is not a new user; the caller rebuilds the partition from its state topic first.
-- It also refuses when the checkpoint is older than one the caller has seen: then Redis came back
-- from an older copy (a restart from its AOF or a snapshot, a failover to a lagging replica) and a
-- stored user may be older than the state topic; the caller replays the topic from the checkpoint.
-- KEYS[1]     the partition's checkpoint key
-- KEYS[2…]    user keys (hashes: v = version, s = stored bytes)
-- ARGV[1]     the newest checkpoint the caller has seen, or ''
-- Returns -1 when the checkpoint is missing, -2 when it is behind ARGV[1], else one bulk string (or
-- false) per user key.
local checkpoint = redis.call('GET', KEYS[1])
if not checkpoint then
  return -1
end
if ARGV[1] ~= '' and tonumber(checkpoint) < tonumber(ARGV[1]) then
  return -2
end
local out = {}
for i = 2, #KEYS do
  out[i - 1] = redis.call('HGET', KEYS[i], 's')
end
return out
