import type { Redis } from 'ioredis';

/**
 * Audit events worth keeping beside the run records, named `noun:verb`.
 * - `alert:truncated`: Alertmanager left alerts out of a notification (receiver `max_alerts`); those
 *   alerts were never seen, so nobody should assume they were handled. Fields: receiver, groupKey,
 *   externalURL, count (alerts left out), received (alerts in the notification).
 * - `approval:granted` / `approval:denied`: a human answered an approval request. Fields: runId,
 *   runbook, target, step (the step the answer is for), by (who), via (link, api, cli, slack,
 *   console), comment (optional).
 */
export type AuditEvent =
  | {
      type: 'alert:truncated';
      at: string;
      receiver: string;
      groupKey: string;
      externalURL: string;
      count: number;
      received: number;
    }
  | {
      type: 'approval:granted' | 'approval:denied';
      at: string;
      runId: string;
      runbook: string;
      target: string;
      step: string;
      by: string;
      via: string;
      comment?: string;
    };

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEvent[]>;
}

/** A capped Redis list of events. @defaultValue maxEvents 1000 */
export function createRedisAuditLog(redis: Redis, prefix: string, maxEvents = 1000): AuditLog {
  const key = `${prefix}events`;
  return {
    async append(event) {
      await redis
        .multi()
        .lpush(key, JSON.stringify(event))
        .ltrim(key, 0, maxEvents - 1)
        .exec();
    },
    async recent(limit) {
      const items = await redis.lrange(key, 0, limit - 1);
      return items.map((i) => JSON.parse(i) as AuditEvent);
    },
  };
}
