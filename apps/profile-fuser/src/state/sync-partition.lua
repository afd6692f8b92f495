-- Applies what one partition committed to its state topic to Redis, atomically per call.
-- KEYS[1]     the partition's checkpoint key (the state-topic offset Redis reflects, exclusive)
-- KEYS[2…]    one key per operation
-- ARGV[1]     new checkpoint, or '' to leave it
-- ARGV[2]     '1': refuse (return -1) when the checkpoint is missing, i.e. Redis lost its data
-- ARGV[3]     the newest checkpoint the caller has seen, or '': refuse (return -2) when Redis's is
--             older (it came back from an older copy; see load-users.lua)
-- ARGV[4…]    four arguments per operation, in KEYS order:
--               'u', version, ttlMs, bytes   a user's stored state: written only if version is
--                                            newer than the stored one (a late writer never goes
--                                            back); ttlMs > 0 expires it (erasure marks)
--               'h', field, bytes, ''        set a hash field (pending clicks of an item)
--               'x', field, '', ''           delete a hash field
-- Returns the number of user states written, or -1 or -2.
local stored = redis.call('GET', KEYS[1])
if ARGV[2] == '1' and not stored then
  return -1
end
if ARGV[3] ~= '' and stored and tonumber(stored) < tonumber(ARGV[3]) then
  return -2
end
local written = 0
for i = 2, #KEYS do
  local a = 4 + (i - 2) * 4
  local kind = ARGV[a]
  local key = KEYS[i]
  if kind == 'u' then
    local version = tonumber(ARGV[a + 1])
    local current = tonumber(redis.call('HGET', key, 'v') or '-1')
    if version > current then
      redis.call('HSET', key, 'v', ARGV[a + 1], 's', ARGV[a + 3])
      local ttl = tonumber(ARGV[a + 2])
      if ttl > 0 then
        redis.call('PEXPIRE', key, ttl)
      else
        redis.call('PERSIST', key)
      end
      written = written + 1
    end
  elseif kind == 'h' then
    redis.call('HSET', key, ARGV[a + 1], ARGV[a + 2])
  elseif kind == 'x' then
    redis.call('HDEL', key, ARGV[a + 1])
  end
end
if ARGV[1] ~= '' then
  local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
  if tonumber(ARGV[1]) > current then
    redis.call('SET', KEYS[1], ARGV[1])
  end
end
return written
