-- job-commit: stores a job's assistant reply, fenced by the chat lock.
-- Guarantees, atomically on the chat's slot:
--   * job already succeeded -> ALREADY_SUCCEEDED with the stored reply, nothing written (the lock is
--     freed if it still holds this token): one job id never yields two assistant messages.
--   * the lock does not hold this token (lease expired, or another job took the chat) -> LOCK_LOST,
--     nothing written: a stale node cannot store a reply after losing its lock.
--   * otherwise the assistant message takes the next seq and is appended, the full reply (the reply
--     without message + "message") becomes the job's result with status succeeded, the lock is
--     deleted, and the message's seq comes back as COMMITTED (the caller has the rest of the reply).
--   * the record has no error field to clear: job-start rewrote it for this run, and a run that
--     job-finish ended no longer holds the lock, so it never gets here.
--   * safe to repeat: a re-run after a commit that went through finds the job succeeded and answers
--     ALREADY_SUCCEEDED with the same reply.
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock   KEYS[4] job record
-- ARGV[1] lock token   ARGV[2] jobId   ARGV[3] chatId   ARGV[4] job TTL seconds
-- ARGV[5] the assistant message JSON up to and including '"seq":'
-- ARGV[6] the reply JSON without message, up to and including '"message":'
-- Reply: {'ALREADY_SUCCEEDED', reply JSON} | {'LOCK_LOST'} | {'COMMITTED', seq}
local chat, msgs, lock, job = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token = ARGV[1]
if redis.call('HGET', job, 'status') == 'succeeded' then
  if redis.call('GET', lock) == token then
    redis.call('DEL', lock)
  end
  return {'ALREADY_SUCCEEDED', redis.call('HGET', job, 'result')}
end
if redis.call('GET', lock) ~= token then
  return {'LOCK_LOST'}
end

local seq = redis.call('HINCRBY', chat, 'seq', 1)
local message = ARGV[5] .. string.format('%d', seq) .. '}'
redis.call('RPUSH', msgs, message)
local reply = ARGV[6] .. message .. '}'
redis.call('HSET', job, 'jobId', ARGV[2], 'chatId', ARGV[3], 'status', 'succeeded', 'result', reply)
if redis.call('TTL', job) < 0 then
  -- the record expired while the job ran: the new one must not live forever
  redis.call('EXPIRE', job, ARGV[4])
end
redis.call('DEL', lock)
return {'COMMITTED', seq}
