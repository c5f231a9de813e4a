"""Every Lua script of the Redis backend, in one place. Scripts run atomically in Redis, which is what
makes a push, its sequence number and the lookup of the role's live connection one step.

Keys and arguments shared by the push scripts (`push_keys` / `push_args` in store.py build them):
KEYS[1] the role's queue, KEYS[2] its sequence counter, KEYS[3] the session, KEYS[4] the role's
long-poll waiter; ARGV[1] the message (JSON), ARGV[2] the queue limit, ARGV[3] the keys' expiry (s),
ARGV[4] the role. The delivering scripts add ARGV[5] this instance, ARGV[6] the doorbell channels'
prefix, ARGV[7] the code."""

from __future__ import annotations

# Refuse past the limit, number the message, append it with its number as its first field (`seq`,
# spliced into the JSON text: re-encoding with cjson would round the payload's numbers), keep the keys
# expiring; then read which connection holds the role ('' for none).
_PUSH = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return {-1, ''} end
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
local conn = ''
local raw = redis.call('GET', KEYS[3])
if raw then
  local bound = cjson.decode(raw)[ARGV[4]]['conn_id']
  if type(bound) == 'string' then conn = bound end
end
"""

# Rings the instance that owns the bound connection (or, with no socket bound, the instance where a
# REST long-poll waits for the role), unless that is this instance, which flushes by itself.
_DOORBELL = """
local owner, note
if conn ~= '' then
  owner = string.match(conn, '^([^-]*)-')
  note = cjson.encode({op = 'flush', conn = conn, code = ARGV[7], role = ARGV[4]})
else
  owner = redis.call('GET', KEYS[4])
  note = cjson.encode({op = 'wake', code = ARGV[7], role = ARGV[4]})
end
if owner and owner ~= ARGV[5] then redis.call('PUBLISH', ARGV[6] .. owner, note) end
"""

# Declines (returns {-2, ''}, pushes nothing) unless the session is live (ARGV[8]: now, epoch
# seconds) and, when ARGV[10] is '1', the role's connection is in its instance's presence set (ARGV[9]:
# the sets' prefix; a key computed here, which a single Redis allows). The service then reads the
# session and applies its rules (and errors) itself.
_UNLESS_LIVE_DECLINE = """
local raw = redis.call('GET', KEYS[3])
if not raw then return {-2, ''} end
local session = cjson.decode(raw)
if tonumber(ARGV[8]) > session['expires_at'] then return {-2, ''} end
if ARGV[10] == '1' then
  local target = session[ARGV[4]]['conn_id']
  if type(target) ~= 'string' then return {-2, ''} end
  local owner_set = ARGV[9] .. string.match(target, '^([^-]*)-')
  if redis.call('SISMEMBER', owner_set, target) == 0 then return {-2, ''} end
end
"""

_RETURN_PUSHED = "return {seq, conn}\n"

# The store's push: {seq, conn}, or {-1, ''} past the limit.
PUSH = _PUSH + _RETURN_PUSHED
# A relay: the push and the doorbell in one round trip.
DELIVER = _PUSH + _DOORBELL + _RETURN_PUSHED
# The relay's fast path: DELIVER, only for a plainly live session; {-2, ''} when declined.
DELIVER_IF_LIVE = _UNLESS_LIVE_DECLINE + _PUSH + _DOORBELL + _RETURN_PUSHED
DECLINED = -2
QUEUE_FULL = -1

# Numbers a message sent straight to a connection (ARGV[3]) instead of the queue: only if the queue is
# empty and the session (KEYS[3]) binds the role (ARGV[2]) to that connection; else -1. ARGV[1] is the
# keys' expiry.
PASS_THROUGH = """
if redis.call('LLEN', KEYS[1]) > 0 then return -1 end
local raw = redis.call('GET', KEYS[3])
if not raw or cjson.decode(raw)[ARGV[2]]['conn_id'] ~= ARGV[3] then return -1 end
local seq = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return seq
"""

# Atomic pop of a whole queue (KEYS[1]).
POP_ALL = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
"""

# A cumulative acknowledgement: drops the head of the queue (KEYS[1]) while its messages are numbered
# up to ARGV[1] (the number is the `seq` prefix that the push wrote).
ACK = """
local upto = tonumber(ARGV[1])
local dropped = 0
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head then break end
  local seq = tonumber(string.match(head, '^{"seq":(%d+),'))
  if not seq or seq > upto then break end
  redis.call('LPOP', KEYS[1])
  dropped = dropped + 1
end
return dropped
"""

# The periodic check of an instance's connections: per connection (KEYS session and queue, ARGV role
# and connection id) -1 if the session is gone, 1 if messages wait for it and the session still binds
# it, else 0.
CHECK = """
local out = {}
for i = 1, #KEYS, 2 do
  local status = 0
  local raw = redis.call('GET', KEYS[i])
  if not raw then
    status = -1
  elseif redis.call('LLEN', KEYS[i + 1]) > 0 and cjson.decode(raw)[ARGV[i]]['conn_id'] == ARGV[i + 1] then
    status = 1
  end
  out[#out + 1] = status
end
return out
"""
