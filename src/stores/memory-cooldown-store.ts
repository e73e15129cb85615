import type { CooldownStore } from './types.ts';

/** {@link CooldownStore} in memory: a cooldown runs while `now < end`; zero or fewer ms ends it. */
export function createMemoryCooldownStore(): CooldownStore {
  const ends = new Map<string, number>();
  return {
    async start(key, ms, now) {
      if (ms <= 0) ends.delete(key);
      else ends.set(key, now + ms);
    },
    async until(key, now) {
      const end = ends.get(key);
      return end !== undefined && end > now ? end : undefined;
    },
  };
}
