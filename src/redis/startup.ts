import type { Redis } from 'ioredis';
import { RemediatorError } from '../errors.ts';

const AUTH_REPLY = /^(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|invalid username-password/i;
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

export type RefusalKind = 'auth' | 'tls';

/**
 * Why a connection error will not go away by waiting: Redis refused the credentials, or the TLS
 * handshake failed. Undefined for everything else (refused, reset, timed out): Redis may come back.
 */
export function refusal(err: unknown): RefusalKind | undefined {
  if (!(err instanceof Error)) return undefined;
  if (AUTH_REPLY.test(err.message)) return 'auth';
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && TLS_CODE.test(code)) return 'tls';
  return /certificate|ssl routines|tls/i.test(err.message) ? 'tls' : undefined;
}

/**
 * Waits up to `timeoutMs` for `redis` to become ready. An unreachable Redis is not fatal (the webhook
 * answers 503 until it is back): that resolves false. A refused password or a failed TLS handshake
 * never heals by retrying, so it fails start-up at once instead of leaving a service that can only
 * answer 503.
 *
 * @param where how to name the server in the error, without its password (see redactRedisUrl)
 * @throws RemediatorError `E_REDIS_AUTH` or `E_REDIS_TLS`, saying which settings to check
 */
export function awaitRedis(redis: Redis, where: string, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      settle();
      resolve(true);
    };
    const onError = (err: unknown): void => {
      const kind = refusal(err);
      if (kind === undefined) return;
      settle();
      reject(refusedError(kind, where, (err as Error).message));
    };
    const timer = setTimeout(() => {
      settle();
      resolve(redis.status === 'ready');
    }, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}

function refusedError(kind: RefusalKind, where: string, reply: string): RemediatorError {
  if (kind === 'auth') {
    return new RemediatorError(
      'E_REDIS_AUTH',
      `Redis at ${where} refused remediator's credentials (${reply}): check the user and password in ` +
        'REDIS_URL or REMEDIATOR_REDIS_PASSWORD(_FILE), and for Sentinel REMEDIATOR_REDIS_SENTINEL_PASSWORD(_FILE)',
    );
  }
  return new RemediatorError(
    'E_REDIS_TLS',
    `TLS handshake with Redis at ${where} failed (${reply}): check REMEDIATOR_REDIS_TLS_CA_FILE (the CA that ` +
      "signed the server's certificate), the host name in REDIS_URL, and REMEDIATOR_REDIS_TLS_CERT_FILE/KEY_FILE",
  );
}
