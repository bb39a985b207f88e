package redisstore

import (
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/telhook/telhook/pbx3cx"
)

// The scripts of CallStore. Every script takes the store's fixed keys as
// KEYS (see CallStore.keys) and the base of its keys, prefix +
// "{tracker}:", as ARGV[1]; it derives the keys of a call from the base
// and the call's id. Every key shares the hash tag, so they all live in
// one slot of a Cluster. Times are microseconds of the Unix epoch on the
// clock of Redis (TIME); numbers are passed to Redis formatted with %d,
// never as Lua numbers, which Redis may print with an exponent.
//
// The keys (B is the base):
//
//	B.."seq"        counter: versions and claim tokens, from TIME (µs) when created
//	B.."wake"       zset: every open call → its due time, or the end of its lease
//	B.."order"      zset: the unclaimed open calls → LastSeen (eviction order)
//	B.."stat"       hash: open, bytes, ccalls, cbytes (claimed calls and their bytes)
//	B.."alias"      hash: adopted call id → the call that adopted it
//	B.."gone"       zset: key of an emitted call's id → until when it is late
//	B.."c:"..id     hash: v, fs, ls, ov, n, b, tok ("" unclaimed), r ("1" rings)
//	B.."e:"..id     zset: the encoded events → their order of arrival
//	B.."a:"..id     set: the ids adopted into the call
//	B.."cc:"..id    set: the CallerIDs (digits only) of the call's events
//	B.."cu:"..id    set: the Users of the call's events
//	B.."pc:"..c     set: the unclaimed ringing calls with CallerID c
//	B.."pu:"..u     set: the unclaimed ringing calls with User u
const luaPrelude = `
local B = ARGV[1]
local K_SEQ, K_WAKE, K_ORDER, K_STAT, K_ALIAS, K_GONE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function s(n) return string.format('%d', n) end
local function nowUS()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- nextSeq returns the next version or claim token. A counter that is
-- missing (a new store, or one Redis lost in a restart without
-- persistence) starts at TIME in microseconds, ahead of every number it
-- gave out before (fewer than one a microsecond), so that no version of a
-- call id repeats.
local function nextSeq()
	local n = redis.call('INCR', K_SEQ)
	if n == 1 then
		n = nowUS()
		redis.call('SET', K_SEQ, s(n))
	end
	return n
end
local function ck(id) return B .. 'c:' .. id end
local function ek(id) return B .. 'e:' .. id end
local function ak(id) return B .. 'a:' .. id end
local function cck(id) return B .. 'cc:' .. id end
local function cuk(id) return B .. 'cu:' .. id end
local function pck(c) return B .. 'pc:' .. c end
local function puk(u) return B .. 'pu:' .. u end
local function goneKey(id)
	if #id <= 64 then return id end
	return '\255' .. redis.sha1hex(id)
end
-- item reads the item of an encoded event at pos: its value, the next pos.
local function item(m, pos)
	local c = string.find(m, ':', pos, true)
	local n = tonumber(string.sub(m, pos, c - 1))
	return string.sub(m, c + 1, c + n), c + n + 1
end
-- meta returns the size, Type, CallerID and User of an encoded event.
local function meta(m)
	local size, p = item(m, 1)
	local typ, caller, user
	typ, p = item(m, p)
	caller, p = item(m, p)
	user = item(m, p)
	return tonumber(size), typ, caller, user
end
-- took counts the encoded event m, just kept in call id, and indexes the
-- call for Candidates when it rings.
local function took(id, m)
	local size, typ, caller, user = meta(m)
	local h = ck(id)
	redis.call('HINCRBY', h, 'b', s(size))
	redis.call('HINCRBY', h, 'n', 1)
	redis.call('HINCRBY', K_STAT, 'bytes', s(size))
	local newC = string.find(caller, '^%d+$') ~= nil and redis.call('SADD', cck(id), caller) == 1
	local newU = user ~= '' and redis.call('SADD', cuk(id), user) == 1
	local rings = redis.call('HGET', h, 'r') == '1'
	if not rings and (typ == '` + pbx3cx.Ringing + `' or typ == '` + pbx3cx.Dialing + `') then
		redis.call('HSET', h, 'r', '1')
		for _, c in ipairs(redis.call('SMEMBERS', cck(id))) do redis.call('SADD', pck(c), id) end
		for _, u in ipairs(redis.call('SMEMBERS', cuk(id))) do redis.call('SADD', puk(u), id) end
	elseif rings then
		if newC then redis.call('SADD', pck(caller), id) end
		if newU then redis.call('SADD', puk(user), id) end
	end
	return size
end
local function unindex(id)
	for _, c in ipairs(redis.call('SMEMBERS', cck(id))) do redis.call('SREM', pck(c), id) end
	for _, u in ipairs(redis.call('SMEMBERS', cuk(id))) do redis.call('SREM', puk(u), id) end
end
-- touch records a change of call id at now: LastSeen, version, due time.
local function touch(id, now, settle)
	local h = ck(id)
	local ls = tonumber(redis.call('HGET', h, 'ls'))
	if now > ls then
		ls = now
		redis.call('HSET', h, 'ls', s(ls))
		redis.call('ZADD', K_ORDER, s(ls), id)
	end
	redis.call('HSET', h, 'v', s(nextSeq()))
	redis.call('ZADD', K_WAKE, s(ls + settle), id)
end
-- claim leases call id, not claimed under a running lease, until now +
-- lease, and returns the claim: id, version, token, until.
local function claim(id, now, lease)
	local h = ck(id)
	local st = redis.call('HMGET', h, 'tok', 'b', 'v')
	if st[1] == '' then
		redis.call('HINCRBY', K_STAT, 'ccalls', 1)
		redis.call('HINCRBY', K_STAT, 'cbytes', st[2])
		redis.call('ZREM', K_ORDER, id)
		unindex(id)
	end
	local tok = s(nextSeq())
	redis.call('HSET', h, 'tok', tok)
	redis.call('ZADD', K_WAKE, s(now + lease), id)
	return {id, st[3], tok, s(now + lease)}
end
-- remove takes call id out of the open calls.
local function remove(id)
	local b = redis.call('HGET', ck(id), 'b')
	redis.call('HINCRBY', K_STAT, 'open', -1)
	redis.call('HINCRBY', K_STAT, 'bytes', s(-tonumber(b)))
	unindex(id)
	redis.call('DEL', ck(id), ek(id), ak(id), cck(id), cuk(id))
	redis.call('ZREM', K_WAKE, id)
	redis.call('ZREM', K_ORDER, id)
end
-- remember records id as that of an emitted call until now + quiet, at
-- most max such ids, forgetting those whose time is up.
local function remember(id, now, quiet, max)
	redis.call('ZADD', K_GONE, s(now + quiet), goneKey(id))
	local n = redis.call('ZCARD', K_GONE)
	if n > max then redis.call('ZREMRANGEBYRANK', K_GONE, 0, n - max - 1) end
	redis.call('ZREMRANGEBYSCORE', K_GONE, '-inf', s(now))
end
local function unclaimedBytes()
	local st = redis.call('HMGET', K_STAT, 'bytes', 'cbytes')
	return (tonumber(st[1]) or 0) - (tonumber(st[2]) or 0)
end
local function openUnclaimed()
	local st = redis.call('HMGET', K_STAT, 'open', 'ccalls')
	return (tonumber(st[1]) or 0) - (tonumber(st[2]) or 0)
end
`

// luaOutcomes names the pbx3cx.AppendOutcome values callAppendScript
// returns, so that the script and the Go constants cannot disagree.
var luaOutcomes = fmt.Sprintf("local KEPT, DUPLICATE, LATE, OVERFLOW, OVERBUDGET, TOOLARGE = %d, %d, %d, %d, %d, %d\n",
	pbx3cx.AppendKept, pbx3cx.AppendDuplicate, pbx3cx.AppendLate, pbx3cx.AppendOverflow, pbx3cx.AppendOverBudget, pbx3cx.AppendTooLarge)

var callAppendScript = redis.NewScript(luaPrelude + luaOutcomes + `
-- ARGV: 2 call id, 3 encoded event, 4 its size, 5 settle, 6 quiet, 7 lease
-- (µs), 8 MaxOpenCalls, 9 MaxCallEvents, 10 MaxCallBytes, 11 MaxBytes.
-- Returns {outcome, claims...}, each claim 4 items (see claim).
local id, m, size = ARGV[2], ARGV[3], tonumber(ARGV[4])
local settle, quiet, lease = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local maxOpen, maxEv, maxCall, maxBytes = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local now = nowUS()
local p = redis.call('HGET', K_ALIAS, id)
if p then id = p end
local h = ck(id)
local out = {}
-- makeRoom claims the oldest unclaimed calls but keep until size more
-- bytes fit within MaxBytes.
local function makeRoom(keep)
	local i = 0
	while unclaimedBytes() + size > maxBytes do
		local r = redis.call('ZRANGE', K_ORDER, i, i)
		if #r == 0 then return end
		if r[1] == keep then
			i = i + 1
		else
			for _, x in ipairs(claim(r[1], now, lease)) do table.insert(out, x) end
		end
	end
end
local st = redis.call('HMGET', h, 'tok', 'n', 'b')
if st[1] then
	if st[1] ~= '' then return {LATE} end
	if redis.call('ZSCORE', ek(id), m) then return {DUPLICATE} end
	if tonumber(st[2]) >= maxEv then
		redis.call('HINCRBY', h, 'ov', 1)
		touch(id, now, settle)
		return {OVERFLOW}
	end
	if tonumber(st[3]) + size > maxCall then
		redis.call('HINCRBY', h, 'ov', 1)
		touch(id, now, settle)
		return {OVERBUDGET}
	end
	makeRoom(id)
	redis.call('ZADD', ek(id), st[2], m)
	took(id, m)
	touch(id, now, settle)
	table.insert(out, 1, KEPT)
	return out
end
local gk = goneKey(id)
local u = redis.call('ZSCORE', K_GONE, gk)
if u then
	if now < tonumber(u) then return {LATE} end
	redis.call('ZREM', K_GONE, gk)
end
if size > maxCall then return {TOOLARGE} end
while openUnclaimed() >= maxOpen do
	local r = redis.call('ZRANGE', K_ORDER, 0, 0)
	if #r == 0 then break end
	for _, x in ipairs(claim(r[1], now, lease)) do table.insert(out, x) end
end
makeRoom(nil)
redis.call('HSET', h, 'v', '0', 'fs', s(now), 'ls', s(now), 'ov', '0', 'n', '0', 'b', '0', 'tok', '', 'r', '0')
redis.call('HINCRBY', K_STAT, 'open', 1)
redis.call('ZADD', ek(id), 0, m)
redis.call('ZADD', K_ORDER, s(now), id)
took(id, m)
touch(id, now, settle)
table.insert(out, 1, KEPT)
return out
`)

var callDueScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 "1" for every open call, 3 now (µs; "" in the first batch: TIME),
-- 4 the lowest wake to look at (inclusive, or "-inf"), 5 how many entries
-- of that wake to skip (returned by the previous batch), 6 the batch size.
-- Returns {now, next wake, next skip, "1" when there may be more, the
-- open calls, id, version, claimed...}: at most a batch of entries of
-- K_WAKE, so that no script walks every open call.
local first = ARGV[3] == ''
local now = first and nowUS() or tonumber(ARGV[3])
if first then redis.call('ZREMRANGEBYSCORE', K_GONE, '-inf', s(now)) end
local all, from, skip, batch = ARGV[2] == '1', ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local r = redis.call('ZRANGEBYSCORE', K_WAKE, from, all and '+inf' or s(now), 'WITHSCORES', 'LIMIT', skip, batch)
local out = {s(now), from, '0', '0', redis.call('ZCARD', K_WAKE)}
for i = 1, #r, 2 do
	local id, wake = r[i], r[i + 1]
	local st = redis.call('HMGET', ck(id), 'v', 'tok')
	if st[1] and (st[2] == '' or tonumber(wake) <= now) then
		table.insert(out, id)
		table.insert(out, st[1])
		table.insert(out, st[2] ~= '' and '1' or '0')
	end
end
if #r == 2 * batch then
	-- The next batch starts at the last wake, after the entries of that
	-- wake seen: ties are ordered by id, and this skips them by count.
	local last, n = r[#r], 0
	for i = #r, 2, -2 do
		if r[i] ~= last then break end
		n = n + 1
	end
	if from ~= '-inf' and tonumber(last) == tonumber(from) then n = n + skip end
	out[2], out[3], out[4] = last, s(n), '1'
end
return out
`)

var callReadScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 call id. Returns nil, or {v, fs, ls, ov, {aliases}, {events}}.
local id = ARGV[2]
local st = redis.call('HMGET', ck(id), 'v', 'fs', 'ls', 'ov')
if not st[1] then return nil end
table.insert(st, redis.call('SMEMBERS', ak(id)))
table.insert(st, redis.call('ZRANGE', ek(id), 0, -1))
return st
`)

var callDeferScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 call id, 3 version, 4 until (µs). Returns 1 when deferred.
local st = redis.call('HMGET', ck(ARGV[2]), 'v', 'tok')
if st[1] ~= ARGV[3] or st[2] ~= '' then return 0 end
redis.call('ZADD', K_WAKE, ARGV[4], ARGV[2])
return 1
`)

var callClaimScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 call id, 3 version, 4 lease (µs). Returns nil, or the claim.
local id = ARGV[2]
local now = nowUS()
local st = redis.call('HMGET', ck(id), 'v', 'tok')
if st[1] ~= ARGV[3] then return nil end
if st[2] ~= '' and now < tonumber(redis.call('ZSCORE', K_WAKE, id)) then return nil end
return claim(id, now, tonumber(ARGV[4]))
`)

var callAckScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 call id, 3 token, 4 quiet (µs), 5 MaxOpenCalls.
-- Returns 1, or 0 when the token is not the call's claim.
local id = ARGV[2]
local h = ck(id)
local st = redis.call('HMGET', h, 'tok', 'b')
if not st[1] or st[1] == '' or st[1] ~= ARGV[3] then return 0 end
local now, quiet, max = nowUS(), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HINCRBY', K_STAT, 'ccalls', -1)
redis.call('HINCRBY', K_STAT, 'cbytes', s(-tonumber(st[2])))
local aliases = redis.call('SMEMBERS', ak(id))
remove(id)
remember(id, now, quiet, max)
for _, a in ipairs(aliases) do
	redis.call('HDEL', K_ALIAS, a)
	remember(a, now, quiet, max)
end
return 1
`)

var callMergeScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 parent id, 3 its version, 4 orphan id, 5 its version, 6 settle
-- (µs), 7 MaxCallEvents, 8 MaxCallBytes.
-- Returns {0}, or {1, parent's version, overflow, dropped events...}.
local pid, oid = ARGV[2], ARGV[4]
local settle, maxEv, maxCall = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if pid == oid then return {0} end
local ph, oh = ck(pid), ck(oid)
local P = redis.call('HMGET', ph, 'v', 'tok', 'ls', 'fs', 'n', 'b')
local O = redis.call('HMGET', oh, 'v', 'tok', 'ls', 'fs', 'ov')
if P[1] ~= ARGV[3] or O[1] ~= ARGV[5] or P[2] ~= '' or O[2] ~= '' then return {0} end
if tonumber(O[3]) > tonumber(P[3]) then
	redis.call('HSET', ph, 'ls', O[3])
	redis.call('ZADD', K_ORDER, O[3], pid)
end
if tonumber(O[4]) < tonumber(P[4]) then redis.call('HSET', ph, 'fs', O[4]) end
local evs = redis.call('ZRANGE', ek(oid), 0, -1)
local aliases = redis.call('SMEMBERS', ak(oid))
remove(oid)
local n, b = tonumber(P[5]), tonumber(P[6])
local out = {1, '', 0}
local over, dropped = 0, 0
for _, m in ipairs(evs) do
	local size = meta(m)
	if n >= maxEv then
		over = over + 1
		dropped = dropped + 1
		table.insert(out, m)
	elseif b + size > maxCall then
		dropped = dropped + 1
		table.insert(out, m)
	elseif redis.call('ZADD', ek(pid), 'NX', s(n), m) == 1 then
		took(pid, m)
		n, b = n + 1, b + size
	end
end
redis.call('HINCRBY', ph, 'ov', s(dropped + tonumber(O[5])))
table.insert(aliases, oid)
for _, a in ipairs(aliases) do
	redis.call('SADD', ak(pid), a)
	redis.call('HSET', K_ALIAS, a, pid)
end
touch(pid, 0, settle)
out[2] = redis.call('HGET', ph, 'v')
out[3] = over
return out
`)

var callCandidatesScript = redis.NewScript(luaPrelude + `
-- ARGV: 2 CallerID, 3 User, 4 the SSCAN cursor ("0" in the first batch),
-- 5 the set it walks ("" in the first batch: the smaller), 6 the batch
-- size. Returns {next cursor ("0": done), the set walked, id, version...}:
-- one SSCAN step over one index, checked against the other, so that no
-- script walks every ringing call of a busy caller.
local out = {'0', ''}
if ARGV[2] == '' or ARGV[3] == '' then return out end
local kc, ku = pck(ARGV[2]), puk(ARGV[3])
local walk = ARGV[5]
if walk == '' then
	walk = redis.call('SCARD', kc) <= redis.call('SCARD', ku) and 'c' or 'u'
end
local set, other = kc, ku
if walk == 'u' then set, other = ku, kc end
local r = redis.call('SSCAN', set, ARGV[4], 'COUNT', ARGV[6])
out[1], out[2] = r[1], walk
for _, id in ipairs(r[2]) do
	if redis.call('SISMEMBER', other, id) == 1 then
		local st = redis.call('HMGET', ck(id), 'v', 'tok')
		if st[2] == '' then
			table.insert(out, id)
			table.insert(out, st[1])
		end
	end
end
return out
`)
