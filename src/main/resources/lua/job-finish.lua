-- job-finish: ends a job that did not succeed, and frees its chat.
-- Guarantees, atomically on the chat's slot:
--   * the record's status and error are set only when the record belongs to this run (it holds this
--     token) and is not succeeded: a success is never overwritten, and a run that was replaced by a
--     restart of the same job cannot mark the new run failed.
--   * the lock is deleted only while it holds this token.
--   * the run is marked ended (KEYS[3], for ARGV[4] seconds): its start, if it reaches Redis after this
--     (the caller gave up while it was on its way), takes nothing.
--   * safe to repeat.
--
-- KEYS[1] chat lock   KEYS[2] job record   KEYS[3] this run's ended marker
-- ARGV[1] lock token   ARGV[2] status (failed | cancelled)   ARGV[3] error JSON, or '' for none
-- ARGV[4] seconds to remember the run ended
-- Reply: {record updated 1|0, lock released 1|0}
local lock, job = KEYS[1], KEYS[2]
local token = ARGV[1]
redis.call('SET', KEYS[3], '1', 'EX', ARGV[4])
local record = redis.call('HMGET', job, 'status', 'token')
local updated = 0
if record[1] and record[1] ~= 'succeeded' and record[2] == token then
  redis.call('HSET', job, 'status', ARGV[2])
  if ARGV[3] == '' then
    redis.call('HDEL', job, 'error')
  else
    redis.call('HSET', job, 'error', ARGV[3])
  end
  updated = 1
end
local released = 0
if redis.call('GET', lock) == token then
  released = redis.call('DEL', lock)
end
return {updated, released}
