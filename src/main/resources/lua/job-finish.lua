-- job-finish: ends a run of a job that did not succeed, and frees its chat.
-- Guarantees, atomically on the chat's slot:
--   * the run is marked ended (its token joins the record's ended marks): its start, if it reaches
--     Redis after this (the caller gave up while it was on its way), takes nothing. The record then
--     lives at least until ARGV[4], so the mark outlives any start still on its way even when the
--     record was about to expire. A record that did not exist yet holds only that mark (no status:
--     no job to report). On a chat that does not exist nothing is written: a start there answers
--     NOT_FOUND and takes nothing anyway, and a record there would never be forgotten (only a start
--     on its chat forgets records).
--   * the record's status and error are set only when the record belongs to this run (it holds this
--     token) and is not succeeded: a success is never overwritten, and a run that was replaced by a
--     restart of the same job cannot mark the new run failed.
--   * the lock is deleted only while it holds this token.
--   * safe to repeat.
--
-- KEYS[1] chat lock   KEYS[2] job records (hash)   KEYS[3] job expiry queue (list), see job-record.lua
-- KEYS[4] chat hash
-- ARGV[1] lock token   ARGV[2] status (failed | cancelled)   ARGV[3] error JSON, or '' for none
-- ARGV[4] the ended mark's expiry at the earliest (ms since the epoch)   ARGV[5] jobId
-- ARGV[6] now, ms since the epoch
-- Reply: {record updated 1|0, lock released 1|0}
local lock, jobs, queue, chat = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, jobId = ARGV[1], ARGV[5]
local record = readRecord(jobs, jobId, tonumber(ARGV[6]))
  or {status = '', expiresAt = 0, node = '', token = '', userSeq = '', ended = '', payload = ''}
local updated = 0
if record.status ~= 'succeeded' and redis.call('EXISTS', chat) == 1 then
  if not endedRun(record, token) then
    record.ended = record.ended == '' and token or record.ended .. ' ' .. token
  end
  record.expiresAt = math.max(record.expiresAt, tonumber(ARGV[4]))
  if record.status ~= '' and record.token == token then
    record.status = ARGV[2]
    record.payload = ARGV[3]
    updated = 1
  end
  writeRecord(jobs, queue, jobId, record)
end
local released = 0
if redis.call('GET', lock) == token then
  released = redis.call('DEL', lock)
end
return {updated, released}
