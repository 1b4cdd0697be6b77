-- job-finish: ends a run of a job that did not succeed, and frees its chat.
-- Guarantees, atomically on the chat's slot:
--   * the run is marked ended (field 'ended:<token>' of the job record): its start, if it reaches
--     Redis after this (the caller gave up while it was on its way), takes nothing. The record then
--     lives at least ARGV[4] seconds more, so the mark outlives any start still on its way even when
--     the record was about to expire. A record that did not exist yet holds only that mark (no
--     status: no job to report).
--   * the record's status and error are set only when the record belongs to this run (it holds this
--     token) and is not succeeded: a success is never overwritten, and a run that was replaced by a
--     restart of the same job cannot mark the new run failed.
--   * the lock is deleted only while it holds this token.
--   * safe to repeat.
--
-- KEYS[1] chat lock   KEYS[2] job record
-- ARGV[1] lock token   ARGV[2] status (failed | cancelled)   ARGV[3] error JSON, or '' for none
-- ARGV[4] seconds the ended mark must live at least
-- Reply: {record updated 1|0, lock released 1|0}
local lock, job = KEYS[1], KEYS[2]
local token = ARGV[1]
local record = redis.call('HMGET', job, 'status', 'token')
redis.call('HSET', job, 'ended:' .. token, '1')
if redis.call('TTL', job) < tonumber(ARGV[4]) then
  redis.call('EXPIRE', job, ARGV[4])
end
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
