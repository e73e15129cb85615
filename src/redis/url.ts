import type { RedisOptions } from 'ioredis';
import { RemediatorError } from '../errors.ts';

/**
 * Where remediator's Redis is, as REDIS_URL says:
 *
 * - `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS: one server.
 * - `redis+sentinel://[user:password@]host:port[,host:port...]/master-name[/db]`: ask these Sentinels
 *   for the current primary of `master-name`, and ask again whenever the connection drops or the
 *   server stops being the primary (a failover). The user and password are the data servers';
 *   the Sentinels' own come from settings (REMEDIATOR_REDIS_SENTINEL_*). `rediss+sentinel://` speaks
 *   TLS to the Sentinels and to the data servers.
 *
 * `tls` says whether the connections use TLS.
 */
export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string; readonly tls: boolean }
  | { readonly kind: 'sentinel'; readonly options: Readonly<RedisOptions>; readonly tls: boolean };

const SENTINEL = /^rediss?\+sentinel:\/\/(?:([^@/]*)@)?([^/@]+)\/([^/?#]+)(?:\/(\d{1,2}))?\/?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * @throws RemediatorError `E_CONFIG` naming what is wrong, never echoing a password
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?\+sentinel:/.test(url)) {
    return { kind: 'sentinel', options: sentinelOptions(url), tls: url.startsWith('rediss') };
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol === 'redis:' || parsed?.protocol === 'rediss:') {
    return { kind: 'url', url, tls: parsed.protocol === 'rediss:' };
  }
  throw invalid(
    url,
    'use redis://[user:password@]host:port[/db], rediss:// for TLS, or ' +
      'redis+sentinel://host:port[,host:port...]/master-name[/db] for Sentinel (rediss+sentinel:// for TLS)',
  );
}

function sentinelOptions(url: string): RedisOptions {
  const match = SENTINEL.exec(url);
  if (!match) {
    throw invalid(
      url,
      'a Sentinel URL is redis+sentinel://[user:password@]host:port[,host:port...]/master-name[/db]',
    );
  }
  const [, auth, hosts = '', name = '', db] = match;
  const sentinels = hosts.split(',').map((entry) => {
    const hostPort = HOST_PORT.exec(entry.trim());
    const port = Number(hostPort?.[2]);
    if (!hostPort || port < 1 || port > 65535) {
      throw invalid(url, `"${entry}" is not host:port (every Sentinel needs its port, usually 26379)`);
    }
    return { host: hostPort[1]!.replace(/^\[|\]$/g, ''), port };
  });
  const [user, password] = auth === undefined ? [] : splitAuth(auth);
  return {
    sentinels,
    name: decodeURIComponent(name),
    ...(user ? { username: user } : {}),
    ...(password ? { password } : {}),
    ...(db !== undefined ? { db: Number(db) } : {}),
  };
}

function splitAuth(auth: string): [string, string | undefined] {
  const colon = auth.indexOf(':');
  if (colon < 0) return [decodeURIComponent(auth), undefined];
  return [decodeURIComponent(auth.slice(0, colon)), decodeURIComponent(auth.slice(colon + 1))];
}

function invalid(url: string, hint: string): RemediatorError {
  return new RemediatorError('E_CONFIG', `Redis URL "${redactRedisUrl(url)}" is not valid: ${hint}`);
}

/** Keeps passwords out of error messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
