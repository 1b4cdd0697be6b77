-- lock-renew: extends a chat lock's lease, only for its holder.
-- Guarantees: the lease is reset to ARGV[2] ms only while the lock holds ARGV[1]; a lock that
-- expired or now belongs to another token is left alone. Safe to repeat.
--
-- KEYS[1] chat lock
-- ARGV[1] lock token   ARGV[2] lease in ms
-- Reply: 1 renewed, 0 the lock is not ours
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
