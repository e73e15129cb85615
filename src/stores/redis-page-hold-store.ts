import type { Redis } from 'ioredis';

/** Healed runs whose page hold waits for Alertmanager to see the alert resolved. */
export interface HealedHoldStore {
  add(runId: string): Promise<void>;
  list(): Promise<string[]>;
  /** True for the one caller that took it off (several processes watch): only it ends the hold. */
  remove(runId: string): Promise<boolean>;
}

/** One Redis set, `${prefix}page-hold:healed`; holds are few (one per healed alert still firing). */
export function createRedisHealedHoldStore(redis: Redis, prefix: string): HealedHoldStore {
  const key = `${prefix}page-hold:healed`;
  return {
    async add(runId) {
      await redis.sadd(key, runId);
    },
    list: () => redis.smembers(key),
    async remove(runId) {
      return (await redis.srem(key, runId)) === 1;
    },
  };
}
