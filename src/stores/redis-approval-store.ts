import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ApprovalStore } from './types.ts';

/**
 * {@link ApprovalStore} on Redis. Keys: `${prefix}approvals:pending`, a sorted set of run ids scored
 * by when they asked (ms); `${prefix}approvals:secret`, the link-signing secret shared by every
 * process when none is configured (written once with SET NX, so concurrent starts agree).
 */
export function createRedisApprovalStore(redis: Redis, prefix: string): ApprovalStore {
  const pendingKey = `${prefix}approvals:pending`;
  const secretKey = `${prefix}approvals:secret`;
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
    async sharedSecret() {
      await redis.set(secretKey, randomBytes(32).toString('base64'), 'NX');
      const stored = await redis.get(secretKey);
      return Buffer.from(stored ?? '', 'base64');
    },
  };
}
