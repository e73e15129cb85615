import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import type { LockStore } from './types.ts';

/**
 * The keys of one per-target lock. The admission store takes the same lock in the same format, so a
 * target held through either store is held for both.
 *
 * - `lock`: a hash `{ owner, expiresAt, fence }`. `expiresAt` (caller's clock, ms) decides whether the
 *   lock is held at a given `now`; Redis also expires the key after the TTL so nothing is left behind.
 * - `fence`: the fencing counter. It never expires, so fencing numbers keep growing across releases.
 */
export function lockKeys(prefix: string, key: string): { lock: string; fence: string } {
  return { lock: `${prefix}lock:${key}`, fence: `${prefix}fence:${key}` };
}

/** Milliseconds for PEXPIRE/PX: a positive whole number. */
export function pexpireMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

// KEYS: lock, fence. ARGV: owner, now, expiresAt, pexpire.
const ACQUIRE = `
local held = redis.call('HMGET', KEYS[1], 'owner', 'expiresAt')
if held[1] and held[1] ~= ARGV[1] and (tonumber(held[2]) or 0) > tonumber(ARGV[2]) then
  return {0, held[1]}
end
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'expiresAt', ARGV[3], 'fence', fence)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, fence}`;

// KEYS: lock. ARGV: owner, now, expiresAt, pexpire.
const RENEW = `
local held = redis.call('HMGET', KEYS[1], 'owner', 'expiresAt')
if held[1] ~= ARGV[1] or (tonumber(held[2]) or 0) <= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS: lock. ARGV: owner.
const RELEASE = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * {@link LockStore} on Redis. Keys: `${prefix}lock:${key}` (hash: owner, expiresAt, fence) and
 * `${prefix}fence:${key}` (counter); see {@link lockKeys}.
 *
 * Guarantees: each operation is one Lua script, so at most one owner holds a lock at any `now`, even
 * with many processes. A lock is held while `expiresAt > now`: at exactly `now + ttlMs` it is free.
 * Every successful acquire (including the holder taking its own lock again, which restarts the TTL)
 * increments the fencing number in the same script, so fences are strictly increasing per key.
 * renew() needs the owner to hold an unexpired lock; release() only deletes the owner's own lock.
 */
export function createRedisLockStore(redis: Redis, prefix: string): LockStore {
  return {
    async acquire(key, owner, ttlMs, now) {
      const { lock, fence } = lockKeys(prefix, key);
      const [ok, value] = (await evalScript(
        redis,
        ACQUIRE,
        2,
        lock,
        fence,
        owner,
        now,
        now + ttlMs,
        pexpireMs(ttlMs),
      )) as [number, number | string];
      return ok === 1 ? { ok: true, fence: Number(value) } : { ok: false, holder: String(value) };
    },
    async renew(key, owner, ttlMs, now) {
      const { lock } = lockKeys(prefix, key);
      return (await evalScript(redis, RENEW, 1, lock, owner, now, now + ttlMs, pexpireMs(ttlMs))) === 1;
    },
    async release(key, owner) {
      return (await evalScript(redis, RELEASE, 1, lockKeys(prefix, key).lock, owner)) === 1;
    },
  };
}
