import type { Redis } from 'ioredis';
import { pexpireMs } from './redis-lock-store.ts';
import type { OccurrenceStore } from './types.ts';

const CHUNK = 5000;

/**
 * Resolved alert occurrences as one string key each, `${prefix}resolved:${occurrence}`, that
 * expires by itself after `ttlMs`: nothing needs cleaning, and a notification is one round trip per 5,000 alerts.
 */
export function createRedisOccurrenceStore(redis: Redis, prefix: string): OccurrenceStore {
  const key = (occurrence: string): string => `${prefix}resolved:${occurrence}`;
  return {
    async markResolved(occurrences, ttlMs) {
      if (occurrences.length === 0) return;
      const px = pexpireMs(ttlMs);
      // A pipeline per chunk: 100,000 commands in one would outlast the command timeout.
      for (let start = 0; start < occurrences.length; start += CHUNK) {
        const chunk = occurrences.slice(start, start + CHUNK);
        const results = await redis.pipeline(chunk.map((o) => ['set', key(o), '1', 'PX', px])).exec();
        for (const [err] of results ?? []) if (err) throw err;
      }
    },
    async areResolved(occurrences) {
      if (occurrences.length === 0) return [];
      const values = await redis.mget(occurrences.map(key));
      return values.map((value) => value !== null);
    },
  };
}
