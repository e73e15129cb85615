import { Redis, type RedisOptions } from 'ioredis';
import { RemediatorError } from '../errors.ts';
import { logConnectionErrors, type RedisLog } from './error-log.ts';

export type { RedisLog } from './error-log.ts';

/**
 * - `command`: the webhook and the API. Fails fast (no offline queue, one retry, short timeouts) so
 *   a request can be answered 503 while Redis is away and Alertmanager retries later.
 * - `worker`: BullMQ workers. Commands wait for the connection to return (BullMQ requires
 *   `maxRetriesPerRequest: null`), and there is no command timeout, which would break the
 *   blocking commands BullMQ waits on.
 */
export type RedisRole = 'command' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  command: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    commandTimeout: 2_000,
  },
  worker: {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
  },
};

/**
 * Delay before reconnect attempt `times` (1-based): 100 ms doubling to a 2 s cap, so a restarted
 * Redis is picked up within about two seconds; ±20% jitter keeps replicas from reconnecting in
 * lockstep. Never gives up: remediator has nothing useful to do without Redis but wait for it.
 */
export function reconnectDelay(times: number, random: () => number = Math.random): number {
  const base = Math.min(100 * 2 ** Math.min(Math.max(times, 1) - 1, 10), 2_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * An ioredis client for `role`. `url` is `redis://` or `rediss://` (TLS), with an optional
 * user, password and database number: `rediss://:secret@redis.example:6380/2`. Connection
 * errors go to `log`, rate-limited; they never crash the process.
 *
 * @throws RemediatorError `E_CONFIG` when the URL is not a redis:// or rediss:// URL
 */
export function createRedis(url: string, role: RedisRole, log: RedisLog): Redis {
  checkUrl(url);
  const client = new Redis(url, {
    ...ROLE_OPTIONS[role],
    retryStrategy: (times) => reconnectDelay(times),
    // Shows which part of remediator holds a connection in CLIENT LIST.
    connectionName: `remediator:${role}`,
  });
  logConnectionErrors(client, log, role);
  return client;
}

/** The fail-fast client for the webhook and the API; see {@link RedisRole}. */
export function createCommandClient(url: string, log: RedisLog): Redis {
  return createRedis(url, 'command', log);
}

/** The patient client for BullMQ workers; see {@link RedisRole}. */
export function createWorkerClient(url: string, log: RedisLog): Redis {
  return createRedis(url, 'worker', log);
}

/** For readiness checks: true when Redis answers PING within `timeoutMs`. Never throws. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), timeoutMs)));
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timedOut]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a client at shutdown: QUIT lets pending replies arrive, but waits forever on a worker
 * client whose Redis is gone, so after `timeoutMs` the socket is dropped instead.
 */
export async function closeRedis(redis: Redis, timeoutMs = 2_000): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((done) => (timer = setTimeout(done, timeoutMs)));
  await Promise.race([redis.quit().catch(() => undefined), timedOut]);
  clearTimeout(timer);
  redis.disconnect();
}

function checkUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol === 'redis:' || parsed?.protocol === 'rediss:') return;
  throw new RemediatorError(
    'E_CONFIG',
    `Redis URL "${redact(url)}" is not valid: use redis://[user:password@]host:port[/db], ` +
      'or rediss:// for TLS',
  );
}

/** Keeps passwords out of error messages and logs. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
