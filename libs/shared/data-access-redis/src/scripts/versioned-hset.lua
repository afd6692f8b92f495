-- Compare-and-set on a versioned hash.
-- KEYS[1]  the hash
-- ARGV[1]  the version the caller read ("0" when the hash did not exist)
-- ARGV[2…] field, value pairs to write
-- Writes the fields and bumps the `_v` field only when `_v` still equals ARGV[1], so two writers
-- that read the same version cannot both win. Returns the new version, or -1 on conflict.
local current = tonumber(redis.call('HGET', KEYS[1], '_v') or '0')
if current ~= tonumber(ARGV[1]) then
  return -1
end
local nextVersion = current + 1
if #ARGV > 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
end
redis.call('HSET', KEYS[1], '_v', nextVersion)
return nextVersion
