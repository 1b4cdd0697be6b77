-- job-start: takes a chat for generation job ARGV[1] and reads what the model needs.
-- Guarantees, atomically on the chat's slot:
--   * this run already ended (its job-finish reached Redis first, because its caller gave up while
--     this start was on its way) -> ENDED; chat absent -> NOT_FOUND; job already succeeded ->
--     ALREADY_SUCCEEDED with its stored reply; job running under a lock that still holds its token ->
--     RUNNING with the node its record names, unless that node is ARGV[9] (one that left the cluster:
--     its run is taken over, as if its lock had expired); chat lock held by another token -> LOCKED. None of these writes anything but the
--     forgetting of expired records (job-record.lua).
--   * otherwise (a new job, or one that failed, was cancelled, or whose node died and let its lock
--     expire): SET lock token PX lease, mark the job record running for this token until ARGV[6],
--     append the user message when one is given, and reply STARTED with the user message's seq and,
--     when ARGV[5] is '1', the chat's assistant snapshot.
--   * the history is not read here: the caller reads it with an LRANGE pipelined right behind this
--     script. Once STARTED holds the lock nothing else can append to the chat, so that read sees
--     exactly what this script left; and a plain LRANGE costs Redis a fraction of passing the same
--     messages through Lua.
--   * a job appends its user text at most once: a restarted job reuses the message its first run
--     appended (the record keeps its seq) instead of adding it again.
--   * safe to repeat with the same token: a re-run while the lock still holds it replies STARTED again
--     with the same user message, and writes nothing new but the lease and the record's expiry.
--   * the record keeps the ended marks of earlier runs; a new run clears the error of the last one.
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock   KEYS[4] job records (hash)
-- KEYS[5] job expiry queue (list), see job-record.lua
-- ARGV[1] jobId   ARGV[2] lock token   ARGV[3] node id   ARGV[4] lease ms
-- ARGV[5] '1': reply with the assistant snapshot, '0': the caller has it already (it never changes)
-- ARGV[6] the record's expiry if this run starts (now + job TTL, ms since the epoch)
-- ARGV[7] the user message JSON up to and including '"seq":', or '' for none
-- ARGV[8] now, ms since the epoch
-- ARGV[9] a node that left the cluster, whose run of this job may be taken over, or ''
-- Reply: {'ENDED'} | {'NOT_FOUND'} | {'ALREADY_SUCCEEDED', reply JSON} | {'RUNNING', node} | {'LOCKED'}
--      | {'STARTED', assistant JSON or '', user message seq or 0, the user message JSON when it was
--         appended by an earlier run, else ''}
local chat, msgs, lock, jobs, queue = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local jobId, token, now = ARGV[1], ARGV[2], tonumber(ARGV[8])

-- At most one record is made per start, so one per start keeps up; up to 8 catch up after a busy
-- spell (each costs only when due: the head of the queue says whether one is).
forgetExpired(jobs, queue, now, 8)

local record = readRecord(jobs, jobId, now)
if record and endedRun(record, token) then
  return {'ENDED'}
end
if redis.call('EXISTS', chat) == 0 then
  return {'NOT_FOUND'}
end
local status = record and record.status
if status == 'succeeded' then
  return {'ALREADY_SUCCEEDED', record.payload}
end
local holder = redis.call('GET', lock)
local replay = status == 'running' and record.token == token and holder == token
local takeover = status == 'running' and holder and holder == record.token and ARGV[9] ~= '' and record.node == ARGV[9]
if not replay and not takeover then
  if status == 'running' and holder and holder == record.token then
    return {'RUNNING', record.node or ''}
  end
  if holder and holder ~= token then
    return {'LOCKED'}
  end
end

redis.call('SET', lock, token, 'PX', ARGV[4])
local userSeq = record and record.userSeq ~= '' and record.userSeq or nil
local earlierMessage = ''
if userSeq then
  earlierMessage = redis.call('LINDEX', msgs, tonumber(userSeq) - 1) or ''
elseif ARGV[7] ~= '' then
  userSeq = redis.call('HINCRBY', chat, 'seq', 1)
  redis.call('RPUSH', msgs, ARGV[7] .. string.format('%d', userSeq) .. '}')
end
-- a failed or cancelled run's error goes: this run starts clean
writeRecord(jobs, queue, jobId, {status = 'running', expiresAt = tonumber(ARGV[6]), node = ARGV[3], token = token,
  userSeq = userSeq and string.format('%d', userSeq) or '', ended = record and record.ended or '', payload = ''})

local assistant = ''
if ARGV[5] == '1' then
  assistant = redis.call('HGET', chat, 'assistant') or '{}'
end
return {'STARTED', assistant, tonumber(userSeq) or 0, earlierMessage}
