import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { lockKeys, pexpireMs } from './redis-lock-store.ts';
import type { AdmissionRequest, AdmissionStore } from './types.ts';

// Shared by the scripts: sets a slot's TTL to its longest-lived holder, so an idle slot key vanishes.
const EXPIRE_SLOT = `
local function expireSlot(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', key, math.max(1, math.ceil(tonumber(last[2]) - now))) end
end`;

// KEYS: slot 1..n, lock, fence. ARGV: runId, now, expiresAt, pexpire, limit 1..n.
// Returns {1, fence} or {0, index of the first blocked key (n + 1 = the lock)}.
const ACQUIRE = `${EXPIRE_SLOT}
local n = #KEYS - 2
local runId, now = ARGV[1], tonumber(ARGV[2])
for i = 1, n do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
for i = 1, n do
  if not redis.call('ZSCORE', KEYS[i], runId) and redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[4 + i]) then
    return {0, i}
  end
end
local held = redis.call('HMGET', KEYS[n + 1], 'owner', 'expiresAt')
if held[1] and held[1] ~= runId and (tonumber(held[2]) or 0) > now then return {0, n + 1} end
for i = 1, n do
  redis.call('ZADD', KEYS[i], ARGV[3], runId)
  expireSlot(KEYS[i], now)
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

// KEYS: slot 1..n, lock. ARGV: runId.
const RELEASE = `
local n = #KEYS - 1
for i = 1, n do redis.call('ZREM', KEYS[i], ARGV[1]) end
if redis.call('HGET', KEYS[n + 1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[n + 1]) end
return 1`;

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
 * run's own places. All keys are passed as KEYS, so the scripts declare everything they touch.
 */
export function createRedisAdmissionStore(redis: Redis, prefix: string): AdmissionStore {
  const keysOf = (request: Pick<AdmissionRequest, 'slots' | 'lock'>): string[] => [
    ...request.slots.map((slot) => `${prefix}slot:${slot.key}`),
    lockKeys(prefix, request.lock.key).lock,
  ];
  return {
    async acquire(request) {
      const { runId, now, ttlMs, slots, lock } = request;
      const keys = [...keysOf(request), lockKeys(prefix, lock.key).fence];
      const limits = slots.map((slot) => slot.limit);
      const [ok, value] = (await evalScript(
        redis,
        ACQUIRE,
        keys.length,
        ...keys,
        runId,
        now,
        now + ttlMs,
        pexpireMs(ttlMs),
        ...limits,
      )) as [number, number];
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
      const keys = keysOf(request);
      await evalScript(redis, RELEASE, keys.length, ...keys, request.runId);
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
