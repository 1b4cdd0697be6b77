-- message-append: appends one user message to a chat, unless a generation holds the chat.
-- Guarantees, atomically on the chat's slot: nothing is written when the chat does not exist
-- (NOT_FOUND) or its lock is held (LOCKED); otherwise the message takes the next seq from the
-- chat's counter and is pushed in the same step, so the message with seq n sits at index n-1.
-- Not idempotent: running it twice appends twice.
--
-- KEYS[1] chat hash   KEYS[2] message list   KEYS[3] chat lock
-- ARGV[1] the message JSON up to and including '"seq":' (the script adds the number and '}')
-- Reply: {'NOT_FOUND'} | {'LOCKED'} | {'APPENDED', message JSON}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NOT_FOUND'}
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {'LOCKED'}
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local message = ARGV[1] .. string.format('%d', seq) .. '}'
redis.call('RPUSH', KEYS[2], message)
return {'APPENDED', message}
