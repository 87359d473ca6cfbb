import { SUFFIX } from './keys.js';

/*
 * The Lua scripts of RedisStore. Each store operation that must be atomic is exactly
 * one of these scripts: Redis runs a script to completion before any other command,
 * so a script either makes all of its writes or (when it fails) none that matter.
 *
 * Conventions shared by every script:
 * - ARGV[1] is a JSON object of control values (decoded with cjson). Records are
 *   passed as further ARGV strings and stored verbatim: cjson must never re-encode
 *   them, because it would rewrite numbers beyond 14 significant digits and turn
 *   empty arrays into objects.
 * - Time is `op.now`, the engine's clock. Expiry decisions compare stored deadlines
 *   with it; in addition every key gets a Redis TTL (PX) so nothing outlives its
 *   retention even if it is never read again.
 * - Amounts are minor units as decimal strings. Redis adds them exactly (INCRBY and
 *   HINCRBY are 64-bit integer operations); the limit comparisons use Lua numbers
 *   (doubles), exact for integers below 2^53. The store refuses amounts and limits
 *   above 10^15 so every total compared stays far below that bound.
 * - All keys live under the partition base `<prefix>:{<partition>}:` (one hash tag),
 *   passed as `op.base` so a script can derive keys it only learns while running.
 * - Statuses are returned as the first element of an array reply.
 */

/** Helpers every script starts with. */
const COMMON = `
local TOKEN, VERBOSE = '${SUFFIX.token}', '${SUFFIX.verboseToken}'
local SPENT, APPROVAL = '${SUFFIX.spent}', '${SUFFIX.approval}'
local RSV, DUE, HELD = '${SUFFIX.reservations}', '${SUFFIX.reservationDue}', '${SUFFIX.held}'
local SETTLED = '${SUFFIX.settled}'

-- An integer as a decimal string (tostring would switch to exponent notation).
local function int(x) return string.format('%.0f', x) end

-- Lengthens the TTL of key to at least ttl ms (never shortens it).
local function keep(key, ttl)
  if ttl < 1 then ttl = 1 end
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, int(ttl)) end
end

-- A token (live, or the tombstone of a consumed one) is one string value: its fields,
-- every one a string, packed with MessagePack. One GET reads it and one SET (with its
-- TTL) writes it, where a hash needs HMGET, HSET and PEXPIRE. A token an earlier version
-- wrote as a hash is still read (GET answers WRONGTYPE) and rewritten as a string.
local function load_token(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' and v.err then
    local flat = redis.call('HGETALL', key)
    local t = {}
    for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
    return t
  end
  if not v then return nil end
  return cmsgpack.unpack(v)
end

-- A 43-character base64url digest (a SHA-256 digest) as 64 hexadecimal characters;
-- anything else unchanged.
local B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
local function hex_of(d)
  if type(d) ~= 'string' or #d ~= 43 then return d end
  local out, bits, n = {}, 0, 0
  for i = 1, 43 do
    local v = string.find(B64, string.sub(d, i, i), 1, true)
    if not v then return d end
    bits, n = bits * 64 + v - 1, n + 6
    if n >= 8 then
      n = n - 8
      local byte = math.floor(bits / 2 ^ n)
      bits = bits - byte * 2 ^ n
      out[#out + 1] = string.format('%02x', byte)
    end
  end
  return table.concat(out)
end

-- A token's key by its digest as kept (an approval's token list, xTok): 43 characters
-- are the compact form's base64url, anything else the verbose form's name.
local function token_key(base, d)
  if #d == 43 then return base .. TOKEN .. d end
  return base .. VERBOSE .. d
end

-- The partition and the digest (as kept) that a token's key names.
local function token_parts(key)
  local partition, d = string.match(key, '{([^}]*)}:' .. TOKEN .. '([^:]*)$')
  if partition then return partition, d end
  return string.match(key, '{([^}]*)}:' .. VERBOSE .. '([^:]*)$')
end

-- The token the store names by key, and the key it is under: a token written under its
-- verbose name (by an instance that writes that form) is found there and stays there.
local function find_token(key)
  local t = load_token(key)
  if t then return key, t end
  local base, d = string.match(key, '^(.*}:)' .. TOKEN .. '([^:]*)$')
  if d and #d == 43 then
    local verbose = base .. VERBOSE .. hex_of(d)
    t = load_token(verbose)
    if t then return verbose, t end
  end
  return key, nil
end

-- Writes token t under key, kept ttl ms.
local function save_token(key, t, ttl)
  redis.call('SET', key, cmsgpack.pack(t), 'PX', int(math.max(1, ttl)))
end

-- A token's record, in either form: compact (one-letter names, the parameters hash as
-- base64url) or verbose (the record's own names). Only what the scripts read.
local function record_of(json)
  local r = cjson.decode(json)
  if type(r) ~= 'table' or r.transactionId ~= nil then return r end
  return { transactionId = r.x, userId = r.u, tool = r.t, paramsHash = hex_of(r.h),
    expiresAt = r.e, approvalId = r.a, reservationId = r.r }
end

-- A live token: the record (JSON, stored verbatim) and, as fields of their own, what
-- consume compares, read from the record rather than sent twice; rsv: the reservation
-- it carries, if any. Answers the token and how long to keep it.
local function live_token(record, binding, retain, rsv, now)
  local r = record_of(record)
  local drop = r.expiresAt + retain
  local t = { s = 'live', rec = record, exp = int(r.expiresAt), drop = int(drop), u = r.userId,
    t = r.tool, h = r.paramsHash, x = r.transactionId, a = binding or '' }
  if type(r.approvalId) == 'string' then t.apr = r.approvalId end
  if rsv then t.rsv = rsv end
  return t, drop - now
end

-- Stores a live token under key (replacing whatever the key held).
local function put_token(key, record, binding, retain, rsv, now)
  local t, ttl = live_token(record, binding, retain, rsv, now)
  save_token(key, t, ttl)
end

-- The executing index's member for a token key: [partition, digest as kept] as JSON.
local function executing_member(token_key)
  return cjson.encode({ token_parts(token_key) })
end

-- On a single Redis the executing index, the last key, comes after the script's own
-- (expected of them) and changes in the same step as the token. On a cluster the index
-- has a slot of its own and the store sends that change beside the script.
local function index_key(expected)
  if #KEYS > expected then return KEYS[#KEYS] end
  return nil
end

-- The approval hash as a flat field/value list, after a status word.
local function approval_reply(key, status)
  local out = redis.call('HGETALL', key)
  table.insert(out, 1, status)
  return out
end
`;

/**
 * Reservation bookkeeping. A reservation is a field of the reservations hash (its amount and
 * windows) plus a member of the due set scored by the time its hold lapses; the held
 * hash keeps, per window, the total of live reservations so a limit check reads two
 * numbers per window instead of walking every reservation. Lapsed reservations are
 * purged (their amounts leave the held totals) before anything reads the totals.
 */
const RESERVATIONS = `
local S = {}  -- S.rsv, S.due, S.held, S.base: set by the script before use

local function held(window_key)
  return tonumber(redis.call('HGET', S.held, window_key) or '0')
end

-- Adds minor (a decimal string, negative to give back) to the committed counter of
-- each window of w that has not ended; a counter brought to zero is dropped.
local function count(w, minor, now)
  for _, win in ipairs(w) do
    if win[2] > now then
      local key = S.base .. SPENT .. win[1]
      if redis.call('INCRBY', key, minor) <= 0 then
        redis.call('DEL', key)
      else
        keep(key, win[2] - now)
      end
    end
  end
end

-- Keeps a committed reservation (its JSON data) until its last window ends, so a later
-- capture can adjust the windows it was counted in; cap is '1' once captured.
local function record(id, data, w, cap, now)
  local ends = 0
  for _, win in ipairs(w) do ends = math.max(ends, win[2]) end
  if ends <= now then return end
  local key = S.base .. SETTLED .. id
  redis.call('HSET', key, 'rsv', data, 'cap', cap)
  keep(key, ends - now)
end

-- Ends reservation id. With commit, its amount is added to each window's committed
-- counter (kept until the window ends) and the reservation is recorded as committed;
-- otherwise it is simply given back. Returns the reservation's JSON data, if any.
local function settle(id, commit, now)
  redis.call('ZREM', S.due, id)
  local data = redis.call('HGET', S.rsv, id)
  if not data then return nil end
  redis.call('HDEL', S.rsv, id)
  local r = cjson.decode(data)
  if r.a ~= '0' then
    for _, w in ipairs(r.w) do
      if redis.call('HINCRBY', S.held, w[1], '-' .. r.a) <= 0 then
        redis.call('HDEL', S.held, w[1])
      end
    end
  end
  if commit then
    if r.a ~= '0' then count(r.w, r.a, now) end
    record(id, data, r.w, '0', now)
  end
  return data
end

-- Holds data.a minor units in each of data.w until hold_until. Reserving an id again
-- replaces the earlier reservation instead of counting it twice.
local function reserve(id, data, hold_until, now)
  settle(id, false, now)
  local r = cjson.decode(data)
  redis.call('HSET', S.rsv, id, data)
  redis.call('ZADD', S.due, int(hold_until), id)
  if r.a ~= '0' then
    for _, w in ipairs(r.w) do redis.call('HINCRBY', S.held, w[1], r.a) end
  end
  for _, key in ipairs({ S.rsv, S.due, S.held }) do keep(key, hold_until - now) end
end

-- Gives back every reservation whose hold lapsed at or before now.
local function purge(now)
  local lapsed = redis.call('ZRANGEBYSCORE', S.due, '-inf', int(now))
  for _, id in ipairs(lapsed) do settle(id, false, now) end
  -- With no live reservation nothing may be held: dropping both keys also repairs any
  -- drift left by a key that expired on its own.
  if redis.call('ZCARD', S.due) == 0 then redis.call('DEL', S.rsv, S.held) end
end
`;

/**
 * authorize: rate-limit hit, limit check and reservation across all windows, then the
 * token (authorized) or the approval (pending) — one atomic step. What cannot apply is
 * neither sent nor looked at: without a reservation and without approval (`op.ap` absent) there
 * is no approval key, body or reservation.
 *
 * KEYS: 1 token, then 1 rate counter (with op.rl), then 1 approval (with op.ap), then
 *       3 reservations, due, held and the committed counter of each limit window (in
 *       op.reservation.w order; with op.reservation)
 * ARGV: 1 op, 2 token record JSON (either form), 3 approval body JSON (with op.ap), 4 reservation JSON
 *       (with op.reservation)
 * op:   { now, rt (token retention), b? (amount binding, absent when none),
 *         rl?: [limit, ms until the window ends],
 *         reservation?: { id, a, tx?, hold, w: [[windowKey, windowName, limit], …] },
 *         ap?: { approve: bool, base, channel, retention, id, exp, status, version,
 *                fields: [field, value, …] } }
 *       (op.ap is sent whenever an approval can be needed: op.ap.approve, or op.reservation)
 * Reply: { 'rate_limited', retryAfterMs } | { 'authorized', reserved }
 *      | { 'pending', reserved, exceeded… }
 */
const AUTHORIZE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
local next_key = 2
local rate_key, approval_key
if op.rl then
  rate_key = KEYS[next_key]
  next_key = next_key + 1
end
if op.ap then
  approval_key = KEYS[next_key]
  next_key = next_key + 1
end

-- A client that resends a command after a lost reply must not reset what the first
-- run wrote (a consumed token would come back to life): answer what it stored.
if not op.ap and not op.reservation then
  -- Nothing to reserve and no approval possible: the token is written first, only if
  -- its key is free, and taken back when the rate limit refuses the call.
  local t, ttl = live_token(ARGV[2], op.b, op.rt, nil, now)
  if not redis.call('SET', KEYS[1], cmsgpack.pack(t), 'PX', int(math.max(1, ttl)), 'NX') then
    return { 'authorized', '0' }
  end
  if op.rl then
    local hits = redis.call('INCR', rate_key)
    if hits > op.rl[1] then
      redis.call('DEL', KEYS[1])
      if hits == 1 then redis.call('DEL', rate_key) else redis.call('DECR', rate_key) end
      return { 'rate_limited', int(op.rl[2]) }
    end
    if hits == 1 then redis.call('PEXPIRE', rate_key, int(math.max(1, op.rl[2]))) end
  end
  return { 'authorized', '0' }
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return { 'authorized', load_token(KEYS[1]).rsv and '1' or '0' }
end
if approval_key and redis.call('EXISTS', approval_key) == 1 then
  local replay = redis.call('HMGET', approval_key, 'rsv', 'xcd')
  local out = { 'pending', replay[1] and '1' or '0' }
  for name in string.gmatch(replay[2] or '', '[^,]+') do out[#out + 1] = name end
  return out
end

if op.rl then
  -- Counted first, taken back when over the limit: a refused call does not count.
  local hits = redis.call('INCR', rate_key)
  if hits > op.rl[1] then
    if hits == 1 then redis.call('DEL', rate_key) else redis.call('DECR', rate_key) end
    return { 'rate_limited', int(op.rl[2]) }
  end
  -- The counter's key names its window: its TTL, set when the window's first hit made
  -- it, already ends with the window.
  if hits == 1 then redis.call('PEXPIRE', rate_key, int(math.max(1, op.rl[2]))) end
end

local reserved = false
local exceeded = {}
local sp = op.reservation
if sp then
  S.rsv, S.due, S.held, S.base = KEYS[next_key], KEYS[next_key + 1], KEYS[next_key + 2], op.ap.base
  purge(now)
  local amount = tonumber(sp.a)
  if sp.tx and amount > tonumber(sp.tx) then exceeded[#exceeded + 1] = 'transaction' end
  for i, w in ipairs(sp.w) do
    local used = tonumber(redis.call('GET', KEYS[next_key + 2 + i]) or '0') + held(w[1])
    if used + amount > tonumber(w[3]) then exceeded[#exceeded + 1] = w[2] end
  end
  if #exceeded == 0 then
    reserve(sp.id, ARGV[4], sp.hold, now)
    reserved = true
  end
end

if (op.ap and op.ap.approve) or #exceeded > 0 then
  local a = op.ap
  local fields = { 'body', ARGV[3], 'exp', int(a.exp) }
  for _, v in ipairs(a.fields) do fields[#fields + 1] = v end
  if reserved then
    fields[#fields + 1] = 'rsv'
    fields[#fields + 1] = sp.id
  end
  if #exceeded > 0 then
    fields[#fields + 1] = 'xcd'
    fields[#fields + 1] = table.concat(exceeded, ',')
  end
  redis.call('HSET', approval_key, unpack(fields))
  redis.call('PEXPIRE', approval_key, int(math.max(1, a.exp - now + a.retention)))
  redis.call('PUBLISH', a.channel,
    cjson.encode({ approvalId = a.id, status = a.status, version = a.version }))
  local out = { 'pending', reserved and '1' or '0' }
  for _, name in ipairs(exceeded) do out[#out + 1] = name end
  return out
end

put_token(KEYS[1], ARGV[2], op.b, op.rt, reserved and sp.id or nil, now)
return { 'authorized', reserved and '1' or '0' }
`;

/**
 * consume: single use with a tombstone, on the condition that the request matches.
 * A mismatch leaves the token live. The tombstone keeps what a replay needs. A token of
 * an approval spends the approval in the same step (`xAt`, `xTok`); a token of a spent
 * approval answers `used` with the tombstone of the token that ran (or, once that is
 * gone, a `spent` one without an outcome).
 *
 * The tombstone's key expires with its retention, counted from now; `exp` (the
 * token's deadline) is left as it is: nothing reads it once the token is used.
 *
 * KEYS: 1 token (its partition base and digest are read from the name; a token under
 *       its verbose name is found there), then the executing index (single Redis)
 * ARGV: 1 op { now, u, t, h (as base64url when a SHA-256 digest), x?, a?, s (session),
 *       r (retention, ms), n, hd? (the hold, ms from now), tr? (the trim interval, ms,
 *       when this consume trims the index) }
 * Reply: { 'ok', recordJSON } | { 'mismatch', field } | { 'expired' } | { 'unknown' }
 *      | { 'used', state, transactionId, userId, tool, paramsHash, sessionId, consumedAt, outcome }
 */
const CONSUME = `${COMMON}
local op = cjson.decode(ARGV[1])
local now = op.now
local key, f = find_token(KEYS[1])
local base = string.match(key, '^(.*}:)')
local _, digest = token_parts(key)
if not f or tonumber(f.drop) <= now then return { 'unknown' } end
if f.s ~= 'live' then
  -- The same request resent after a lost reply (same nonce) is answered as it was.
  if f.s == 'used' and f.n == op.n then return { 'ok', f.rec } end
  return { 'used', f.s, f.x, f.u, f.t, f.h, f.sid or false, f.at or false, f.out or '' }
end
local akey = f.apr and (base .. APPROVAL .. f.apr)
if akey then
  local spent = redis.call('HMGET', akey, 'xAt', 'xTok')
  if spent[1] then
    local r = load_token(token_key(base, spent[2]))
    if r and r.s ~= 'live' and tonumber(r.drop) > now then
      return { 'used', r.s, r.x, r.u, r.t, r.h, r.sid or false, r.at or false, r.out or '' }
    end
    return { 'used', 'spent', f.x, f.u, f.t, f.h, '', spent[1], '' }
  end
end
if tonumber(f.exp) <= now then return { 'expired' } end
if f.u ~= op.u then return { 'mismatch', 'userId' } end
if f.t ~= op.t then return { 'mismatch', 'tool' } end
if f.h ~= hex_of(op.h) then return { 'mismatch', 'paramsHash' } end
if op.x and f.x ~= op.x then return { 'mismatch', 'transactionId' } end
-- A token written before amounts were bound has no 'a': the engine compares it instead.
if op.a and f.a and f.a ~= op.a then return { 'mismatch', 'amount' } end
local record = f.rec
f.s, f.sid, f.at, f.drop, f.n = 'used', op.s, int(now), int(now + op.r), op.n
save_token(key, f, op.r)
local index = index_key(1)
if index then
  redis.call('ZADD', index, int(now), executing_member(key))
  if op.tr then
    -- At most once a second per store: drops entries past the replay window and keeps
    -- the index alive past its newest entry's window.
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. int(now - op.r))
    redis.call('PEXPIRE', index, int(op.r + op.tr))
  end
end
-- The reservation stays held while the execute is unresolved (op.hd: until its
-- tombstone's end).
local decoded, rec = pcall(record_of, record)
local rid = decoded and type(rec) == 'table' and rec.reservationId or nil
if op.hd and type(rid) == 'string' then
  local due, hold = base .. DUE, now + op.hd
  local at = tonumber(redis.call('ZSCORE', due, rid) or '0')
  if at > now and at < hold then
    redis.call('ZADD', due, int(hold), rid)
    for _, held_key in ipairs({ base .. RSV, due, base .. HELD }) do keep(held_key, op.hd) end
  end
end
if akey and redis.call('EXISTS', akey) == 1 then
  redis.call('HSET', akey, 'xAt', int(now), 'xTok', digest)
  redis.call('HDEL', akey, 'toks')
end
return { 'ok', record }
`;

/**
 * complete: stores the outcome on the tombstone for replay and settles the
 * reservation (commit keeps it counted, release gives it back). The record, kept only
 * to answer a resent consume, is emptied in the same write.
 *
 * KEYS: 1 token, then with op.rsv: 2 reservations, 3 due, 4 held, then the executing
 *       index (single Redis)
 * ARGV: 1 op { now, r (retention, ms), rsv?, commit?, base? (with rsv) }, 2 outcome JSON
 */
const COMPLETE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
local key, t = find_token(KEYS[1])
if t and (t.s == 'used' or t.s == 'done') then
  t.s, t.out, t.drop, t.rec, t.n = 'done', ARGV[2], int(now + op.r), '', ''
  save_token(key, t, op.r)
end
local index = index_key(op.rsv and 4 or 1)
if index then redis.call('ZREM', index, executing_member(key)) end
if op.rsv then
  S.rsv, S.due, S.held, S.base = KEYS[2], KEYS[3], KEYS[4], op.base
  settle(op.rsv, op.commit, now)
end
return 'OK'
`;

/**
 * resolveAbandoned, one execution: a tombstone still executing (`used`), consumed before
 * `op.before` and still kept, gets the outcome and commits its record's reservation, as
 * complete would; anything else is left as it is. The state test makes it a
 * compare-and-set: of two sweeps, or a sweep and a complete, one changes it.
 *
 * KEYS: 1 token, 2 reservations, 3 due, 4 held
 * ARGV: 1 op { now, base, retain, before }, 2 outcome JSON
 * Reply: { 'used', 'used', transactionId, userId, tool, paramsHash, sessionId, consumedAt, '' }
 *      | { 'skip' }
 */
const RESOLVE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
S.rsv, S.due, S.held, S.base = KEYS[2], KEYS[3], KEYS[4], op.base
local key, t = find_token(KEYS[1])
if not t or t.s ~= 'used' or tonumber(t.drop or '0') <= now
  or tonumber(t.at or '0') >= op.before then
  return { 'skip' }
end
local record = t.rec
t.s, t.out, t.drop, t.rec, t.n = 'done', ARGV[2], int(now + op.retain), nil, nil
save_token(key, t, op.retain)
local decoded, rec = pcall(record_of, record or '')
local rid = decoded and type(rec) == 'table' and rec.reservationId or nil
if type(rid) == 'string' then settle(rid, true, now) end
return { 'used', 'used', t.x, t.u, t.t, t.h, t.sid or false, t.at, '' }
`;

/**
 * Indexes an execution as it is consumed, trims the entries older than the replay
 * window, and keeps the index alive as long as its newest entry may matter (on a
 * cluster, at most once a second per store; a plain ZADD otherwise).
 *
 * KEYS: 1 executing index
 * ARGV: 1 member, 2 consumed at (ms), 3 replay window (ms), 4 the trim interval (ms)
 */
const INDEX_EXECUTING = `
local now, retain = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%.0f', now - retain))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', retain + tonumber(ARGV[4])))
return 'OK'
`;

/**
 * Removes an entry of the executing index if its score is still the one read, so that
 * an execute that consumed the same token again meanwhile keeps its entry.
 *
 * KEYS: 1 executing index
 * ARGV: 1 member, 2 score read
 */
const UNINDEX_EXECUTING = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 'OK'
`;

/**
 * decideApproval: compare-and-set on the status, with the reservation settlement of the
 * decision (force a reservation, extend its hold, or release it) and a PUBLISH.
 *
 * KEYS: 1 approval, 2 reservations, 3 due, 4 held
 * ARGV: 1 op { now, base, channel, retention, id, expected, status, n, by?, why?, tExp?,
 *              reservation?: { action, id, hold? } }, 2 reservation JSON (force)
 * Reply: { 'ok' | 'conflict', field, value, … } | { 'unknown' }
 */
const DECIDE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
S.rsv, S.due, S.held, S.base = KEYS[2], KEYS[3], KEYS[4], op.base
local f = redis.call('HMGET', KEYS[1], 'status', 'n', 'exp')
if not f[1] then return { 'unknown' } end
if f[1] ~= op.expected then
  -- A resent decision (same nonce) already took effect: answer it as it was.
  if f[2] == op.n then return approval_reply(KEYS[1], 'ok') end
  return approval_reply(KEYS[1], 'conflict')
end
local version = redis.call('HINCRBY', KEYS[1], 'ver', 1)
redis.call('HSET', KEYS[1], 'status', op.status, 'dAt', int(now), 'n', op.n)
if op.by then redis.call('HSET', KEYS[1], 'dBy', op.by) end
if op.why then redis.call('HSET', KEYS[1], 'why', op.why) end
if op.tExp then redis.call('HSET', KEYS[1], 'tExp', int(op.tExp)) end
local sp = op.reservation
if sp then
  if sp.action == 'force' then
    -- The approver said yes to an over-limit call: hold the amount without a check.
    reserve(sp.id, ARGV[2], sp.hold, now)
    redis.call('HSET', KEYS[1], 'rsv', sp.id)
  elseif sp.action == 'extend' then
    if redis.call('ZSCORE', S.due, sp.id) then
      redis.call('ZADD', S.due, int(sp.hold), sp.id)
      for _, key in ipairs({ S.rsv, S.due, S.held }) do keep(key, sp.hold - now) end
    end
  else
    settle(sp.id, false, now)
  end
end
-- Kept past its deadline and past the token it may mint, for listings and replays.
keep(KEYS[1], math.max(tonumber(f[3]), op.tExp or 0) - now + op.retention)
redis.call('PUBLISH', op.channel,
  cjson.encode({ approvalId = op.id, status = op.status, version = version }))
return approval_reply(KEYS[1], 'ok')
`;

/**
 * issueApprovalToken: mints a token of an approved request beside the live ones (`toks`,
 * oldest first, comma-separated), revoking the oldest beyond op.max; refuses once the
 * approval is spent (`xAt`), or after the approval's token window.
 *
 * KEYS: 1 approval, 2 new token
 * ARGV: 1 op { now, base, digest (as kept: the new token's key names it), max,
 *       rt (token retention), b (amount binding) }, 2 record JSON (either form)
 * Reply: { 'issued' | 'used' | 'expired' | 'not_approved', field, value, … } | { 'unknown' }
 */
const ISSUE = `${COMMON}
local op = cjson.decode(ARGV[1])
local now = op.now
local f = redis.call('HMGET', KEYS[1], 'status', 'toks', 'tExp', 'xAt')
if not f[1] then return { 'unknown' } end
if f[1] ~= 'approved' then return approval_reply(KEYS[1], 'not_approved') end
if f[4] then return approval_reply(KEYS[1], 'used') end
local live = {}
for digest in string.gmatch(f[2] or '', '[^,]+') do
  local token = load_token(token_key(op.base, digest))
  if token and token.s == 'live' then
    -- A resend of this very issue finds its own live token: keep it.
    if digest == op.digest or digest == hex_of(op.digest) then
      return approval_reply(KEYS[1], 'issued')
    end
    live[#live + 1] = digest
  end
end
if not f[3] or tonumber(f[3]) <= now then return approval_reply(KEYS[1], 'expired') end
live[#live + 1] = op.digest
while #live > math.max(1, op.max) do
  redis.call('DEL', token_key(op.base, table.remove(live, 1)))
end
put_token(KEYS[2], ARGV[2], op.b, op.rt, nil, now)
redis.call('HSET', KEYS[1], 'toks', table.concat(live, ','))
return approval_reply(KEYS[1], 'issued')
`;

/**
 * reservationUsage: purges lapsed reservations, then reads each window's committed and held
 * totals (the caller adds them exactly, as bigints).
 *
 * KEYS: 1 reservations, 2 due, 3 held, 4.. the committed counter of each window
 * ARGV: 1 op { now, base, w: [windowKey, …] }
 * Reply: { committed1, held1, committed2, held2, … }
 */
const RESERVATION_USAGE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
S.rsv, S.due, S.held, S.base = KEYS[1], KEYS[2], KEYS[3], op.base
purge(now)
local out = {}
for i, window_key in ipairs(op.w) do
  out[#out + 1] = redis.call('GET', KEYS[3 + i]) or '0'
  out[#out + 1] = redis.call('HGET', S.held, window_key) or '0'
end
return out
`;

/**
 * captureReservation: counts a card purchase at its captured share, once. A live reservation
 * is committed at the share (the rest is given back); a committed one gives back from
 * each window what the share does not keep. Amounts are at most 10^15 (below 2^50) but
 * their product with the share is not exact as a double, so the share is computed on
 * 24-bit limbs and divided bit by bit.
 *
 * KEYS: 1 reservations, 2 due, 3 held, 4 the committed reservation (settled)
 * ARGV: 1 op { now, base, id, p, q } (p <= q, both decimal strings of at most 10^15)
 * Reply: { 'captured', kept, released } | { 'already_captured' } | { 'unknown' }
 */
const CAPTURE = `${COMMON}${RESERVATIONS}
local op = cjson.decode(ARGV[1])
local now = op.now
S.rsv, S.due, S.held, S.base = KEYS[1], KEYS[2], KEYS[3], op.base

-- ceil(a * p / q), exactly, for integers 0 <= a, 0 <= p <= q, 0 < q, all below 2^50.
local function share_of(a, p, q)
  if p >= q then return a end
  local B = 16777216
  local function limbs(x) return { x % B, math.floor(x / B) % B, math.floor(x / B / B) } end
  local x, y, n = limbs(a), limbs(p), { 0, 0, 0, 0, 0, 0, 0 }
  for i = 1, 3 do
    for j = 1, 3 do n[i + j - 1] = n[i + j - 1] + x[i] * y[j] end
  end
  for i = 1, 6 do
    local carry = math.floor(n[i] / B)
    n[i] = n[i] - carry * B
    n[i + 1] = n[i + 1] + carry
  end
  local quotient, rest = 0, 0
  for i = 6, 1, -1 do
    for b = 23, 0, -1 do
      rest = rest * 2 + math.floor(n[i] / 2 ^ b) % 2
      quotient = quotient * 2
      if rest >= q then
        rest = rest - q
        quotient = quotient + 1
      end
    end
  end
  if rest > 0 then quotient = quotient + 1 end
  return quotient
end

purge(now)
local done = redis.call('HMGET', KEYS[4], 'rsv', 'cap')
if done[2] == '1' then return { 'already_captured' } end
local p, q = tonumber(op.p), tonumber(op.q)
local live = settle(op.id, false, now)
if live then
  -- Captured before the purchase's completion was recorded: commit only the share.
  local r = cjson.decode(live)
  local amount = tonumber(r.a)
  local kept = share_of(amount, p, q)
  if kept > 0 then count(r.w, int(kept), now) end
  record(op.id, live, r.w, '1', now)
  return { 'captured', int(kept), int(amount - kept) }
end
if not done[1] then return { 'unknown' } end
local r = cjson.decode(done[1])
local amount = tonumber(r.a)
local kept = share_of(amount, p, q)
if amount > kept then count(r.w, '-' .. int(amount - kept), now) end
redis.call('HSET', KEYS[4], 'cap', '1')
return { 'captured', int(kept), int(amount - kept) }
`;

/**
 * The cross-user approval index: adds entries and trims the oldest beyond a bound, in
 * one command. The index has a key of its own (outside every user's slot), so this runs
 * after the authorize script rather than inside it; listings re-read every record.
 *
 * KEYS: 1 index
 * ARGV: 1 how many entries to keep, then score, member, score, member, …
 */
// ARGV: the most entries kept, the TTL the index needs (ms), then score/member pairs.
// The TTL only grows: an older approval written late must not shorten it.
const INDEX = `
redis.call('ZADD', KEYS[1], unpack(ARGV, 3))
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 'OK'
`;

/**
 * The scripts by command name. `defineCommand` registers each on the client, which
 * sends the script once per connection (EVAL) and then calls it by its SHA-1 digest
 * (EVALSHA), reloading it transparently after a `NOSCRIPT`.
 */
export const SCRIPTS = {
  handshakeAuthorizeV1: AUTHORIZE,
  handshakeConsumeV1: CONSUME,
  handshakeCompleteV1: COMPLETE,
  handshakeDecideV1: DECIDE,
  handshakeIssueV1: ISSUE,
  handshakeReservationUsageV1: RESERVATION_USAGE,
  handshakeCaptureV1: CAPTURE,
  handshakeIndexV1: INDEX,
  handshakeResolveV1: RESOLVE,
  handshakeIndexExecutingV1: INDEX_EXECUTING,
  handshakeUnindexExecutingV1: UNINDEX_EXECUTING,
} as const;

/** Name of one script command. */
export type ScriptName = keyof typeof SCRIPTS;
