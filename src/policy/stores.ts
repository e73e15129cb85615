import { createRedisApprovalStore } from '../stores/redis-approval-store.ts';
import type { Redis } from 'ioredis';
import { createRedisAdmissionStore, type AdmissionStoreOptions } from '../stores/redis-admission-store.ts';
import { createRedisBreakerStore } from '../stores/redis-breaker-store.ts';
import { createRedisCooldownStore } from '../stores/redis-cooldown-store.ts';
import { createRedisOccurrenceStore } from '../stores/redis-occurrence-store.ts';
import { createRedisPauseStore } from '../stores/redis-pause-store.ts';
import { createRedisStormStore } from '../stores/redis-storm-store.ts';
import { createRedisStatsStore } from '../stores/redis-stats-store.ts';
import { createRedisTargetStore } from '../stores/redis-target-store.ts';
import { createRedisWindowStore } from '../stores/redis-window-store.ts';
import type { PolicyStores } from './types.ts';

/** Every policy store on one Redis, under one key prefix (e.g. `remediator:`). */
export function createPolicyStores(
  redis: Redis,
  prefix: string,
  admission: AdmissionStoreOptions = {},
): PolicyStores {
  return {
    admission: createRedisAdmissionStore(redis, prefix, admission),
    windows: createRedisWindowStore(redis, prefix),
    cooldowns: createRedisCooldownStore(redis, prefix),
    breakers: createRedisBreakerStore(redis, prefix),
    occurrences: createRedisOccurrenceStore(redis, prefix),
    pauses: createRedisPauseStore(redis, prefix),
    stats: createRedisStatsStore(redis, prefix),
    targets: createRedisTargetStore(redis, prefix),
    approvals: createRedisApprovalStore(redis, prefix),
    storms: createRedisStormStore(redis, prefix),
  };
}
