-- job-record: the job record, shared by the job scripts (LuaScript puts it before each of them).
-- A chat's job records are the fields of one hash (KEYS: the chat's job hash), never keys of their
-- own, so the keyspace does not grow with every job: each doubling of it makes Redis rehash all of
-- it, which stalls it. Field: the job id. Value: status|expiresAt|node|token|userSeq|ended|payload
--   status     running | succeeded | failed | cancelled, or '' when the record holds only ended marks
--   expiresAt  ms since the epoch; it only ever moves later
--   node       the node of the latest run;  token: that run's lock token
--   userSeq    the seq of the user message the job appended, or ''
--   ended      the tokens of runs that ended without success, space-separated (usually '')
--   payload    the success reply JSON (succeeded), the error JSON (failed, cancelled), or ''
-- A record past expiresAt counts as absent. Expiry queue (the chat's job expiry list): one item
-- 'expiresAt jobId' per record, pushed when the record is made; expiresAt there is a lower bound
-- of the record's, since that only moves later. forgetExpired pops the due items and deletes their
-- records, or queues a record again at its later expiry, so a chat keeps about the records of the
-- jobs it ran within one TTL.

local function readRecord(jobs, jobId, now)
  local value = redis.call('HGET', jobs, jobId)
  if not value then
    return nil
  end
  local status, expiresAt, node, token, userSeq, ended, payload =
    string.match(value, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
  if tonumber(expiresAt) <= now then
    return nil -- expired, and not yet forgotten
  end
  return {status = status, expiresAt = tonumber(expiresAt), node = node, token = token, userSeq = userSeq,
    ended = ended, payload = payload}
end

-- Whether the run with lock token `token` ended (its token is one of the record's ended marks).
local function endedRun(record, token)
  return string.find(' ' .. record.ended .. ' ', ' ' .. token .. ' ', 1, true) ~= nil
end

-- Writes the record; a record that was not in the hash (new, forgotten or evicted) is queued to expire.
local function writeRecord(jobs, queue, jobId, r)
  local expiresAt = string.format('%d', r.expiresAt)
  local value = table.concat({r.status, expiresAt, r.node, r.token, r.userSeq, r.ended, r.payload}, '|')
  if redis.call('HSET', jobs, jobId, value) == 1 then
    redis.call('RPUSH', queue, expiresAt .. ' ' .. jobId)
  end
end

-- Deletes up to `budget` records whose expiry passed; a due item whose record lives on is queued again.
local function forgetExpired(jobs, queue, now, budget)
  for _ = 1, budget do
    local head = redis.call('LINDEX', queue, 0)
    if not head then
      return
    end
    local due, jobId = string.match(head, '^(%d+) (.+)$')
    if tonumber(due) > now then
      return
    end
    redis.call('LPOP', queue)
    local value = redis.call('HGET', jobs, jobId)
    if value then
      local expiresAt = string.match(value, '^[^|]*|(%d+)|')
      if tonumber(expiresAt) <= now then
        redis.call('HDEL', jobs, jobId)
      else
        redis.call('RPUSH', queue, expiresAt .. ' ' .. jobId)
      end
    end
  end
end
