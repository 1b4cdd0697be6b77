-- job-start: takes a chat for generation job ARGV[1] and reads what the model needs.
-- Guarantees, atomically on the chat's slot:
--   * this run already ended (its job-finish reached Redis first, because its caller gave up while
--     this start was on its way) -> ENDED; chat absent -> NOT_FOUND; job already succeeded ->
--     ALREADY_SUCCEEDED with its stored reply; job running under a lock that still holds its token ->
--     RUNNING; chat lock held by another token -> LOCKED. None of these writes anything.
--   * otherwise (a new job, or one that failed, was cancelled, or whose node died and let its lock
--     expire): SET lock token PX lease, mark the job record running for this token, append the user
--     message when one is given, and reply STARTED with the user message's seq and, when ARGV[6] is
--     '1', the chat's assistant snapshot.
--   * the history is not read here: the caller reads it with an LRANGE pipelined right behind this
--     script. Once STARTED holds the lock nothing else can append to the chat, so that read sees
--     exactly what this script left; and a plain LRANGE costs Redis a fraction of passing the same
--     messages through Lua.
--   * a job appends its user text at most once: a restarted job reuses the message its first run
--     appended (the record keeps its seq) instead of adding it again.
--   * safe to repeat with the same token: a re-run while the lock still holds it replies STARTED again
--     with the same user message, and writes nothing new but the lease.
--   * the record is written in place (HSET, never DEL): the ended marks of earlier runs stay, and the
--     record expires ARGV[6] seconds after the job's latest start (job-finish extends it so that an
--     ended mark lives at least a minute; job-commit renews it for a long job).
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock   KEYS[4] job record
-- ARGV[1] jobId   ARGV[2] lock token   ARGV[3] node id   ARGV[4] lease ms
-- ARGV[5] '1': reply with the assistant snapshot, '0': the caller has it already (it never changes)
-- ARGV[6] job TTL seconds
-- ARGV[7] the user message JSON up to and including '"seq":', or '' for none
-- Reply: {'ENDED'} | {'NOT_FOUND'} | {'ALREADY_SUCCEEDED', reply JSON} | {'RUNNING'} | {'LOCKED'}
--      | {'STARTED', assistant JSON or '', user message seq or 0, the user message JSON when it was
--         appended by an earlier run, else ''}
local chat, msgs, lock, job = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token = ARGV[2]
local record = redis.call('HMGET', job, 'status', 'token', 'result', 'userSeq', 'ended:' .. token)
local status, owner, userSeq = record[1], record[2], record[4]
if record[5] then
  return {'ENDED'}
end
if redis.call('EXISTS', chat) == 0 then
  return {'NOT_FOUND'}
end
if status == 'succeeded' then
  return {'ALREADY_SUCCEEDED', record[3]}
end
local holder = redis.call('GET', lock)
local replay = status == 'running' and owner == token and holder == token
if not replay then
  if status == 'running' and holder and holder == owner then
    return {'RUNNING'}
  end
  if holder and holder ~= token then
    return {'LOCKED'}
  end
end

redis.call('SET', lock, token, 'PX', ARGV[4])
local earlierMessage = ''
if userSeq then
  earlierMessage = redis.call('LINDEX', msgs, tonumber(userSeq) - 1) or ''
elseif ARGV[7] ~= '' then
  userSeq = redis.call('HINCRBY', chat, 'seq', 1)
  redis.call('RPUSH', msgs, ARGV[7] .. string.format('%d', userSeq) .. '}')
end
if not replay then
  if status then
    redis.call('HDEL', job, 'error') -- a failed or cancelled run's; this run starts clean
  end
  if userSeq then
    redis.call('HSET', job, 'status', 'running', 'node', ARGV[3], 'token', token, 'userSeq', userSeq)
  else
    redis.call('HSET', job, 'status', 'running', 'node', ARGV[3], 'token', token)
  end
end
redis.call('EXPIRE', job, ARGV[6])

local assistant = ''
if ARGV[5] == '1' then
  assistant = redis.call('HGET', chat, 'assistant') or '{}'
end
return {'STARTED', assistant, tonumber(userSeq) or 0, earlierMessage}
