import type { EventEmitter } from 'node:events';

/** The part of a pino-style logger the Redis clients use. */
export interface RedisLog {
  warn(obj: object, msg: string): void;
  /** Used for "connection restored"; falls back to warn() when absent. */
  info?(obj: object, msg: string): void;
}

export interface ConnectionLogOptions {
  /** At most one error line per this many ms; the others are counted. @defaultValue `30_000` */
  intervalMs?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * Logs a client's connection errors without flooding the log during an outage. ioredis emits
 * 'error' on every failed reconnect (several a second); an EventEmitter with no 'error' listener
 * would crash the process instead, so this listener is also what keeps remediator up while Redis
 * is away. Writes the first error, then at most one per `intervalMs` with the number left out, and
 * "restored" once the client is ready again after a logged error.
 */
export function logConnectionErrors(
  client: EventEmitter,
  log: RedisLog,
  name: string,
  opts: ConnectionLogOptions = {},
): void {
  const intervalMs = opts.intervalMs ?? 30_000;
  const now = opts.now ?? Date.now;
  let lastLoggedAt = -Infinity;
  let suppressed = 0;
  let announced = false; // an error line went out since the last 'ready'
  client.on('error', (err: unknown) => {
    const at = now();
    if (at - lastLoggedAt < intervalMs) {
      suppressed += 1;
      return;
    }
    log.warn(
      { err: safeRedisError(err), connection: name, suppressed },
      `Redis ${name} connection failing; reconnecting in the background`,
    );
    lastLoggedAt = at;
    suppressed = 0;
    announced = true;
  });
  client.on('ready', () => {
    if (!announced) return;
    const restored = { connection: name, suppressed };
    if (log.info) log.info(restored, `Redis ${name} connection restored`);
    else log.warn(restored, `Redis ${name} connection restored`);
    announced = false;
    suppressed = 0;
  });
}

/**
 * The parts of a Redis error fit for a log line. ioredis attaches the failed command to its errors,
 * and when the handshake fails that is `HELLO 3 AUTH <user> <password>`: logging the whole error
 * object would write the password into the log.
 */
export function safeRedisError(err: unknown): { type: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { type: 'Error', message: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return { type: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}
