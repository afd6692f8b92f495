-- Marks texts of one owner (KEYS[1], a hash: content hash -> "seenAt occurredAt eventId") and says,
-- per text, whether it repeats a text another event claimed within the window.
-- ARGV: now (ms), window (ms), then (contentHash, occurredAt, eventId) per text, in offset order.
-- Returns one flag per text: 1 a repeat, 0 claimed (new, the same event redelivered, or the same
-- text far away in event time, which then claims it).
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local flags = {}
local added = false
for i = 3, #ARGV, 3 do
  local field, at, id = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local repeat_ = 0
  local claim = true
  local prev = redis.call('HGET', key, field)
  if prev then
    local seen, prevAt, prevId = string.match(prev, '^(%S+) (%S+) (.*)$')
    -- A claim older than the window of processing time has expired, as its own key would have.
    if tonumber(seen) + window > now then
      if prevId == id then
        claim = false
      elseif math.abs(at - tonumber(prevAt)) <= window then
        repeat_ = 1
        claim = false
      end
    end
  end
  if claim then
    if redis.call('HSET', key, field, ARGV[1] .. ' ' .. ARGV[i + 1] .. ' ' .. id) == 1 then added = true end
  end
  flags[#flags + 1] = repeat_
end
redis.call('PEXPIRE', key, window)
-- Bounds the hash of a prolific owner: expired claims go whenever it has grown by 64 fields.
local size = redis.call('HLEN', key)
if added and size >= 128 and size % 64 == 0 then
  local all = redis.call('HGETALL', key)
  for j = 1, #all, 2 do
    local seen = tonumber(string.match(all[j + 1], '^(%S+)'))
    if seen + window <= now then redis.call('HDEL', key, all[j]) end
  end
end
return flags
