-- job-commit: stores a job's assistant reply, fenced by the chat lock.
-- Guarantees, atomically on the chat's slot:
--   * the lock holds this token: the assistant message takes the next seq and is appended, the full
--     reply (the reply without message + "message") becomes the job's result with status succeeded,
--     the lock is deleted, and the message's seq comes back as COMMITTED (the caller has the rest).
--     The job cannot have succeeded already: job-start never locks for a succeeded job, and only the
--     lock's holder gets here.
--   * the lock does not hold this token: nothing is written. If the job succeeded (this very commit
--     went through before and this is its repeat) -> ALREADY_SUCCEEDED with the stored reply, so one
--     job id never yields two assistant messages; else (the lease expired, or another job took the
--     chat) -> LOCK_LOST: a stale node cannot store a reply after losing its lock.
--   * the record keeps its error-free state: job-start cleared the error for this run, and a run that
--     job-finish ended no longer holds the lock, so it never gets here.
--   * safe to repeat.
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock   KEYS[4] job record
-- ARGV[1] lock token   ARGV[2] job TTL seconds
-- ARGV[3] the assistant message JSON up to and including '"seq":'
-- ARGV[4] the reply JSON without message, up to and including '"message":'
-- ARGV[5] '1': set the record's TTL again (the job started more than half a TTL ago); '0': keep the
--   one job-start set, unless the record vanished meanwhile (evicted): HSET then adds status as new
-- Reply: {'COMMITTED', seq} | {'ALREADY_SUCCEEDED', reply JSON} | {'LOCK_LOST'}
local chat, msgs, lock, job = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('GET', lock) ~= ARGV[1] then
  local record = redis.call('HMGET', job, 'status', 'result')
  if record[1] == 'succeeded' then
    return {'ALREADY_SUCCEEDED', record[2]}
  end
  return {'LOCK_LOST'}
end

local seq = redis.call('HINCRBY', chat, 'seq', 1)
local message = ARGV[3] .. string.format('%d', seq) .. '}'
redis.call('RPUSH', msgs, message)
-- job-start wrote status, so only result is new, unless the record is gone (2 new fields)
local added = redis.call('HSET', job, 'status', 'succeeded', 'result', ARGV[4] .. message .. '}')
if ARGV[5] == '1' or added == 2 then
  redis.call('EXPIRE', job, ARGV[2])
end
redis.call('DEL', lock)
return {'COMMITTED', seq}
