-- job-commit: stores a job's assistant reply, fenced by the chat lock.
-- Guarantees, atomically on the chat's slot:
--   * the lock holds this token: the assistant message takes the next seq and is appended, the full
--     reply (the reply without message + "message") becomes the job's result with status succeeded
--     until ARGV[2] (a job is remembered one TTL after it succeeded), the lock is deleted, and the
--     message's seq comes back as COMMITTED (the caller has the rest). The job cannot have succeeded
--     already: job-start never locks for a succeeded job, and only the lock's holder gets here.
--   * the lock does not hold this token: nothing is written. If the job succeeded (this very commit
--     went through before and this is its repeat) -> ALREADY_SUCCEEDED with the stored reply, so one
--     job id never yields two assistant messages; else (the lease expired, or another job took the
--     chat) -> LOCK_LOST: a stale node cannot store a reply after losing its lock.
--   * a succeeded record keeps neither the user message's seq nor ended marks: nothing reads them
--     once the job succeeded (a late start of an ended run finds ALREADY_SUCCEEDED and takes nothing).
--   * safe to repeat; a repeat writes the chat's seq to its own value, so that a WAIT after it covers
--     the first run's writes.
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock   KEYS[4] job records (hash)
-- KEYS[5] job expiry queue (list), see job-record.lua
-- ARGV[1] lock token   ARGV[2] the record's expiry (now + job TTL, ms since the epoch)
-- ARGV[3] the assistant message JSON up to and including '"seq":'
-- ARGV[4] the reply JSON without message, up to and including '"message":'
-- ARGV[5] jobId   ARGV[6] node id   ARGV[7] now, ms since the epoch
-- Reply: {'COMMITTED', seq} | {'ALREADY_SUCCEEDED', reply JSON} | {'LOCK_LOST'}
local chat, msgs, lock, jobs, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local jobId = ARGV[5]
if redis.call('GET', lock) ~= ARGV[1] then
  local record = readRecord(jobs, jobId, tonumber(ARGV[7]))
  if record and record.status == 'succeeded' then
    -- Write something (seq, to its own value) so this run enters the replication stream: a WAIT after
    -- it then covers the earlier run's commit too, whichever connection that ran on (ReplicaAcks).
    local seq = redis.call('HGET', chat, 'seq')
    if seq then
      redis.call('HSET', chat, 'seq', seq)
    end
    return {'ALREADY_SUCCEEDED', record.payload}
  end
  return {'LOCK_LOST'}
end

local seq = redis.call('HINCRBY', chat, 'seq', 1)
local message = ARGV[3] .. string.format('%d', seq) .. '}'
redis.call('RPUSH', msgs, message)
writeRecord(jobs, queue, jobId, {status = 'succeeded', expiresAt = tonumber(ARGV[2]), node = ARGV[6],
  token = ARGV[1], userSeq = '', ended = '', payload = ARGV[4] .. message .. '}'})
redis.call('DEL', lock)
return {'COMMITTED', seq}
