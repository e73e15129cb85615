import type { Redis } from 'ioredis';
import { pexpireMs } from './redis-lock-store.ts';
import type { OccurrenceStore } from './types.ts';

/**
 * Resolved alert occurrences as one string key each, `${prefix}resolved:${occurrence}`, that
 * expires by itself after `ttlMs`: nothing needs cleaning, and a whole notification is one round trip.
 */
export function createRedisOccurrenceStore(redis: Redis, prefix: string): OccurrenceStore {
  const key = (occurrence: string): string => `${prefix}resolved:${occurrence}`;
  return {
    async markResolved(occurrences, ttlMs) {
      if (occurrences.length === 0) return;
      const px = pexpireMs(ttlMs);
      const results = await redis.pipeline(occurrences.map((o) => ['set', key(o), '1', 'PX', px])).exec();
      for (const [err] of results ?? []) if (err) throw err;
    },
    async areResolved(occurrences) {
      if (occurrences.length === 0) return [];
      const values = await redis.mget(occurrences.map(key));
      return values.map((value) => value !== null);
    },
  };
}
