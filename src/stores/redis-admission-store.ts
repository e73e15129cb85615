import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { lockKeys, pexpireMs } from './redis-lock-store.ts';
import type { AdmissionRequest, AdmissionStore } from './types.ts';

export interface AdmissionStoreOptions {
  /**
   * Called with the runs (ids) woken because a place they wait for was freed; their jobs should be
   * made due now. Not awaited: a lost wake-up is caught by the waiting run's safety poll.
   */
  readonly wake?: (runIds: readonly string[]) => void;
}

// Shared by the scripts: sets a slot's TTL to its longest-lived holder, so an idle slot key vanishes.
const EXPIRE_SLOT = `
local function expireSlot(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(last[2]) - now))) end
end`;

// Shared: pops the first waiter of a place's queue (a zset, score = arrival) and marks it woken, so a
// run that is still parking when its wake-up comes sees the mark once parked (see wokenWhileParking).
const WAKE = `
local function wakeFirst(waiters, woken)
  local first = redis.call('ZPOPMIN', waiters)
  if first[1] then
    redis.call('SET', woken .. first[1], '1', 'PX', 60000)
    return first[1]
  end
end`;

// KEYS: slot 1..n, lock, fence, waiters of slot 1..n, waiters of the lock, the set of waited-on places.
// ARGV: runId, now, expiresAt, pexpire, woken-key prefix, waiter id ('' = do not park), waiter score,
// limit 1..n. Returns {1, fence, woken...} or {0, index of the first blocked key (n + 1 = the lock), woken...}.
const ACQUIRE = `${EXPIRE_SLOT}${WAKE}
local n = (#KEYS - 4) / 2
local runId, now, waiter = ARGV[1], tonumber(ARGV[2]), ARGV[6]
for i = 1, n do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
local blocked
for i = 1, n do
  if not redis.call('ZSCORE', KEYS[i], runId) and redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[7 + i]) then
    blocked = i
    break
  end
end
if not blocked then
  local held = redis.call('HMGET', KEYS[n + 1], 'owner', 'expiresAt')
  if held[1] and held[1] ~= runId and (tonumber(held[2]) or 0) > now then blocked = n + 1 end
end
if blocked then
  local out = {0, blocked}
  if waiter ~= '' then
    redis.call('ZADD', KEYS[n + 2 + blocked], 'NX', ARGV[7], waiter)
    redis.call('SADD', KEYS[#KEYS], KEYS[n + 2 + blocked])
    -- The places before the blocked one have room: their first waiter may be luckier than this run.
    for i = 1, blocked - 1 do
      local first = redis.call('ZRANGE', KEYS[n + 2 + i], 0, 0)[1]
      if first and first ~= waiter then out[#out + 1] = wakeFirst(KEYS[n + 2 + i], ARGV[5]) end
    end
  end
  return out
end
for i = 1, n do
  redis.call('ZADD', KEYS[i], ARGV[3], runId)
  expireSlot(KEYS[i], now)
end
if waiter ~= '' then
  for i = n + 3, #KEYS - 1 do redis.call('ZREM', KEYS[i], waiter) end
end
local fence = redis.call('INCR', KEYS[n + 2])
redis.call('HSET', KEYS[n + 1], 'owner', runId, 'expiresAt', ARGV[3], 'fence', fence)
redis.call('PEXPIRE', KEYS[n + 1], ARGV[4])
return {1, fence}`;

// KEYS: slot 1..n, lock. ARGV: runId, now, expiresAt, pexpire.
const RENEW = `${EXPIRE_SLOT}
local n = #KEYS - 1
local runId, now = ARGV[1], tonumber(ARGV[2])
for i = 1, n do
  local score = redis.call('ZSCORE', KEYS[i], runId)
  if not score or tonumber(score) <= now then return 0 end
end
local held = redis.call('HMGET', KEYS[n + 1], 'owner', 'expiresAt')
if held[1] ~= runId or (tonumber(held[2]) or 0) <= now then return 0 end
for i = 1, n do
  redis.call('ZADD', KEYS[i], ARGV[3], runId)
  expireSlot(KEYS[i], now)
end
redis.call('HSET', KEYS[n + 1], 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[n + 1], ARGV[4])
return 1`;

// KEYS: slot 1..n, lock, waiters of slot 1..n, waiters of the lock. ARGV: runId, woken-key prefix.
// Frees the run's places and wakes the first waiter of each place it freed; returns the woken.
const RELEASE = `${WAKE}
local n = #KEYS / 2 - 1
local out = {}
for i = 1, n do
  if redis.call('ZREM', KEYS[i], ARGV[1]) == 1 then out[#out + 1] = wakeFirst(KEYS[n + 1 + i], ARGV[2]) end
end
if redis.call('HGET', KEYS[n + 1], 'owner') == ARGV[1] then
  redis.call('DEL', KEYS[n + 1])
  out[#out + 1] = wakeFirst(KEYS[2 * n + 2], ARGV[2])
end
return out`;

// KEYS: the set of waited-on places. ARGV: woken-key prefix. Wakes the first waiter of every place
// (a wake-up lost with a holder that died, or a job that could not be promoted, is found again);
// forgets places nobody waits for. Returns the woken.
const SWEEP = `${WAKE}
local out = {}
for _, waiters in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local first = wakeFirst(waiters, ARGV[1])
  if first then out[#out + 1] = first else redis.call('SREM', KEYS[1], waiters) end
end
return out`;

/**
 * {@link AdmissionStore} on Redis. Keys:
 * - `${prefix}slot:${key}` per slot: a sorted set, member = runId, score = when its grant expires (ms);
 * - `${prefix}lock:${key}` and `${prefix}fence:${key}` for the target: the same lock and fencing
 *   counter as the lock store (see {@link lockKeys}), with the runId as owner.
 *
 * Guarantees: acquire is one Lua script that drops expired holders, then checks every slot and the
 * lock, and only if all are free takes them all and increments the fence; otherwise it changes
 * nothing (beyond dropping expired holders) and names the first blocked key: slots in the order
 * given, then the lock. A grant is held while its expiry is after `now`. A run that already holds a
 * place counts as holding it, so acquiring again is idempotent (it extends the grant and takes a new
 * fence). renew extends every place only if the run still holds them all; release frees only the
 * run's own places. All keys are passed as KEYS, so the scripts declare everything they touch
 * (but the woken marks, built from a prefix: fine on one Redis or Sentinel, not on Cluster).
 *
 * Waiting without polling: an acquire with a `waiter` that is refused parks the waiter in
 * `${prefix}waiters:<the blocked key>` (a sorted set by arrival) in the same script; a release pops
 * the first waiter of each place it frees, marks it `${prefix}woken:<id>` (60 s) and hands it to
 * `options.wake`; a refused acquire also wakes the first waiter of each place before the blocked one
 * (they have room). A successful acquire unparks the waiter everywhere. `sweep()` wakes the first
 * waiter of every place (`${prefix}waiting-places` lists them): the safety net for lost wake-ups,
 * one run per place however many wait.
 */
export function createRedisAdmissionStore(
  redis: Redis,
  prefix: string,
  options: AdmissionStoreOptions = {},
): AdmissionStore {
  const keysOf = (request: Pick<AdmissionRequest, 'slots' | 'lock'>): string[] => [
    ...request.slots.map((slot) => `${prefix}slot:${slot.key}`),
    lockKeys(prefix, request.lock.key).lock,
  ];
  const waitersOf = (keys: readonly string[]): string[] => keys.map((k) => `${prefix}waiters:${k}`);
  const woken = `${prefix}woken:`;
  const waitingPlaces = `${prefix}waiting-places`;
  const wake = (ids: readonly string[]): void => {
    if (ids.length > 0) options.wake?.(ids);
  };
  return {
    async acquire(request) {
      const { runId, now, ttlMs, slots, lock, waiter } = request;
      const places = keysOf(request);
      const keys = [...places, lockKeys(prefix, lock.key).fence, ...waitersOf(places), waitingPlaces];
      const limits = slots.map((slot) => slot.limit);
      const [ok, value, ...wokenIds] = (await evalScript(
        redis,
        ACQUIRE,
        keys.length,
        ...keys,
        runId,
        now,
        now + ttlMs,
        pexpireMs(ttlMs),
        woken,
        waiter?.id ?? '',
        waiter?.score ?? 0,
        ...limits,
      )) as [number, number, ...string[]];
      wake(wokenIds);
      if (ok === 1) return { ok: true, fence: value };
      return { ok: false, blocked: slots[value - 1]?.key ?? lock.key };
    },
    async renew(request) {
      const { runId, now, ttlMs } = request;
      const keys = keysOf(request);
      const renewed = await evalScript(
        redis,
        RENEW,
        keys.length,
        ...keys,
        runId,
        now,
        now + ttlMs,
        pexpireMs(ttlMs),
      );
      return renewed === 1;
    },
    async release(request) {
      const places = keysOf(request);
      const keys = [...places, ...waitersOf(places)];
      wake((await evalScript(redis, RELEASE, keys.length, ...keys, request.runId, woken)) as string[]);
    },
    async sweep() {
      wake((await evalScript(redis, SWEEP, 1, waitingPlaces, woken)) as string[]);
    },
    async wokenWhileParking(id) {
      return (await redis.getdel(`${woken}${id}`)) !== null;
    },
    async peek(request) {
      const { runId, now, slots, lock } = request;
      for (const slot of slots) {
        const key = `${prefix}slot:${slot.key}`;
        const [held, count] = await Promise.all([
          redis.zscore(key, runId),
          redis.zcount(key, `(${now}`, '+inf'),
        ]);
        if (held === null && count >= slot.limit) return { ok: false, blocked: slot.key };
      }
      const [owner, expiresAt] = await redis.hmget(lockKeys(prefix, lock.key).lock, 'owner', 'expiresAt');
      if (owner && owner !== runId && Number(expiresAt) > now) return { ok: false, blocked: lock.key };
      return { ok: true };
    },
    async usage(slots, now) {
      const counts = await Promise.all(
        slots.map((slot) => redis.zcount(`${prefix}slot:${slot.key}`, `(${now}`, '+inf')),
      );
      return slots.map((slot, i) => ({ key: slot.key, used: counts[i] ?? 0, limit: slot.limit }));
    },
  };
}
