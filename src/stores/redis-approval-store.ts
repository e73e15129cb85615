import type { Redis } from 'ioredis';
import type { ApprovalStore } from './types.ts';

/**
 * {@link ApprovalStore} on Redis. Keys: `${prefix}approvals:pending`, a sorted set of run ids scored
 * by when they asked (ms); `${prefix}approvals:secret-id`, the fingerprint of the link secret the
 * last process to start signs with. `${prefix}approvals:secret`, where earlier versions kept the
 * secret itself, is deleted.
 */
export function createRedisApprovalStore(redis: Redis, prefix: string): ApprovalStore {
  const pendingKey = `${prefix}approvals:pending`;
  const legacySecretKey = `${prefix}approvals:secret`;
  const secretIdKey = `${prefix}approvals:secret-id`;
  return {
    async add(runId, requestedAt) {
      await redis.zadd(pendingKey, requestedAt, runId);
    },
    async remove(runId) {
      await redis.zrem(pendingKey, runId);
    },
    async pending(now) {
      const [count, oldest] = await Promise.all([
        redis.zcard(pendingKey),
        redis.zrange(pendingKey, '0', '0', 'WITHSCORES'),
      ]);
      const since = oldest[1] === undefined ? now : Number(oldest[1]);
      return { count, oldestMs: Math.max(0, now - since) };
    },
    async swapSecretId(id) {
      await redis.del(legacySecretKey);
      return redis.getset(secretIdKey, id);
    },
  };
}
