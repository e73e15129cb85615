import type { Redis } from 'ioredis';
import { RedisUnavailableError, RemediatorError } from '../errors.ts';

/**
 * Redis replicates asynchronously: a write the primary acknowledged is lost if the primary dies before
 * a replica has it and Sentinel promotes that replica. This waits (Redis WAIT) until `min` replicas
 * have every write each of `clients` made so far, at most `timeoutMs`.
 *
 * @throws RemediatorError `E_REDIS` (retryable) when fewer replicas confirmed in time, or Redis failed
 */
export async function confirmReplicated(
  clients: readonly Redis[],
  min: number,
  timeoutMs: number,
): Promise<void> {
  let acked: number[];
  try {
    acked = await Promise.all(clients.map((client) => client.wait(min, timeoutMs)));
  } catch (err) {
    throw new RedisUnavailableError(err);
  }
  const least = Math.min(...acked);
  if (least < min) {
    throw new RemediatorError(
      'E_REDIS',
      `stored on the Redis primary, but only ${least} of the ${min} replicas REMEDIATOR_REDIS_MIN_REPLICAS ` +
        `asks for confirmed it within ${timeoutMs} ms; a failover now could lose it`,
      { retryable: true },
    );
  }
}
