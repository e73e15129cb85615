import type { Redis } from 'ioredis';
import { pexpireMs } from './redis-lock-store.ts';
import type { CooldownStore } from './types.ts';

/**
 * {@link CooldownStore} on Redis. Keys: `${prefix}cooldown:${key}`, holding the end time (ms) and
 * expiring with it (PX).
 *
 * Guarantees: start() is a single SET, so a restart simply replaces the end time. A cooldown runs
 * while `now < end`: until() answers undefined from exactly the end time on, whatever Redis' own clock
 * says. A cooldown of zero or fewer milliseconds ends any running one.
 */
export function createRedisCooldownStore(redis: Redis, prefix: string): CooldownStore {
  const keyOf = (key: string): string => `${prefix}cooldown:${key}`;
  return {
    async start(key, ms, now) {
      if (ms <= 0) {
        await redis.del(keyOf(key));
        return;
      }
      await redis.set(keyOf(key), String(now + ms), 'PX', pexpireMs(ms));
    },
    async until(key, now) {
      const value = await redis.get(keyOf(key));
      const end = value === null ? Number.NaN : Number(value);
      return end > now ? end : undefined;
    },
  };
}
