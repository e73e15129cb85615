import type { OccurrenceStore } from './types.ts';

/**
 * {@link OccurrenceStore} in memory. A mark lives `ttlMs` on `clock` (the backtest's virtual clock),
 * as the Redis key does on Redis' own.
 */
export function createMemoryOccurrenceStore(clock: () => number = Date.now): OccurrenceStore {
  const until = new Map<string, number>();
  return {
    async markResolved(occurrences, ttlMs) {
      for (const o of occurrences) until.set(o, clock() + ttlMs);
    },
    async areResolved(occurrences) {
      return occurrences.map((o) => (until.get(o) ?? -Infinity) > clock());
    },
  };
}
