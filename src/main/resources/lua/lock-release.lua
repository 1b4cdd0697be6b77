-- lock-release: compare-and-delete of a chat lock.
-- Guarantees: the lock is deleted only while it holds ARGV[1], so only its holder frees it and a
-- stale holder can never free the lock of the job that came after it. Safe to repeat.
--
-- KEYS[1] chat lock
-- ARGV[1] lock token
-- Reply: 1 released, 0 the lock was not ours (expired, or another token's)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
