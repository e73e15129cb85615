import { Redis, type RedisOptions } from 'ioredis';
import { clientOptions, type RedisClientConfig } from './client-options.ts';
import { logConnectionErrors, type RedisLog } from './error-log.ts';
import { reviveCutConnects } from './revive.ts';
import { parseRedisUrl } from './url.ts';

export type { RedisLog } from './error-log.ts';
export type { RedisClientConfig } from './client-options.ts';

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
 * user, password and database number: `rediss://:secret@redis.example:6380/2`, or
 * `redis+sentinel://host:port,host:port/master-name` to follow the primary Sentinel names (see
 * {@link parseRedisUrl}). `config` adds a password, Sentinel credentials and TLS files from settings
 * (see {@link RedisClientConfig}). Connection errors go to `log`, rate-limited; they never crash the
 * process.
 *
 * @throws RemediatorError `E_CONFIG` when the URL is none of these
 */
export function createRedis(
  url: string,
  role: RedisRole,
  log: RedisLog,
  config: RedisClientConfig = {},
): Redis {
  const target = parseRedisUrl(url);
  const options: RedisOptions = {
    ...ROLE_OPTIONS[role],
    ...clientOptions(target, config),
    retryStrategy: (times) => reconnectDelay(times),
    // Shows which part of remediator holds a connection in CLIENT LIST.
    connectionName: `remediator:${role}`,
  };
  const client =
    target.kind === 'url'
      ? new Redis(target.url, options)
      : new Redis({
          ...target.options,
          ...options,
          // Sentinels announce a promotion: drop the old primary at once instead of writing to it until
          // it is demoted (or partitioned away for good).
          failoverDetector: true,
          // A primary demoted under us answers writes with READONLY: reconnect (Sentinel names the new
          // primary) and send the command again there.
          reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
        });
  logConnectionErrors(client, log, role);
  reviveCutConnects(client, log, role, reconnectDelay);
  guardStreams(client);
  return client;
}

const guarded = new WeakSet<object>();

/**
 * ioredis listens for only the first 'error' of each socket (`once`). A failed TLS handshake can
 * raise a second one on the same socket (the server's alert after ours), which would then be an
 * uncaught exception and stop the process; so every socket that failed, or that we close, keeps a
 * listener for what comes after.
 */
function guardStreams(client: Redis): void {
  const guard = (): void => {
    const stream = (client as { stream?: NodeJS.EventEmitter }).stream;
    if (stream === undefined || guarded.has(stream)) return;
    guarded.add(stream);
    stream.on('error', () => undefined);
  };
  client.on('error', guard);
  client.on('end', guard);
  client.on('close', guard);
}

/** The fail-fast client for the webhook and the API; see {@link RedisRole}. */
export function createCommandClient(url: string, log: RedisLog, config: RedisClientConfig = {}): Redis {
  return createRedis(url, 'command', log, config);
}

/** The patient client for BullMQ workers; see {@link RedisRole}. */
export function createWorkerClient(url: string, log: RedisLog, config: RedisClientConfig = {}): Redis {
  return createRedis(url, 'worker', log, config);
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
  // An ended client too: disconnect() marks it closed, so reviveCutConnects leaves it ended.
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
