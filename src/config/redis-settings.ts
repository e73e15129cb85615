import { readFileSync } from 'node:fs';
import type { RedisClientConfig } from '../redis/client-options.ts';
import type { Env } from './settings.ts';

/** The REMEDIATOR_REDIS_* names this module reads (besides REDIS_URL). */
export const REDIS_SETTING_NAMES = [
  'REMEDIATOR_REDIS_PASSWORD',
  'REMEDIATOR_REDIS_PASSWORD_FILE',
  'REMEDIATOR_REDIS_SENTINEL_USERNAME',
  'REMEDIATOR_REDIS_SENTINEL_PASSWORD',
  'REMEDIATOR_REDIS_SENTINEL_PASSWORD_FILE',
  'REMEDIATOR_REDIS_TLS_CA_FILE',
  'REMEDIATOR_REDIS_TLS_CERT_FILE',
  'REMEDIATOR_REDIS_TLS_KEY_FILE',
] as const;

/**
 * Credentials and TLS files for an external Redis (see {@link RedisClientConfig}), read once at
 * start-up. Each one needs the REDIS_URL it applies to: a password for the embedded server is made
 * by remediator itself, TLS files need `rediss://`, Sentinel ones `redis(s)+sentinel://`.
 *
 * @param secret reads NAME or NAME_FILE, adding to `problems` what is wrong
 */
export function readRedisClientConfig(
  env: Env,
  secret: (name: string) => string | undefined,
  problems: string[],
): RedisClientConfig {
  const url = env['REDIS_URL'] || undefined;
  const sentinel = url !== undefined && /^rediss?\+sentinel:/.test(url);
  const tlsUrl = url !== undefined && /^rediss(\+sentinel)?:/.test(url);
  const needs = (name: string, set: boolean, ok: boolean, what: string): void => {
    if (set && !ok) problems.push(`${name} needs ${what}`);
  };
  const password = secret('REMEDIATOR_REDIS_PASSWORD');
  needs('REMEDIATOR_REDIS_PASSWORD(_FILE)', password !== undefined, url !== undefined, 'REDIS_URL');
  if (password !== undefined && url !== undefined && hasPassword(url)) {
    problems.push('REDIS_URL holds a password and REMEDIATOR_REDIS_PASSWORD(_FILE) is set: keep one');
  }
  const sentinelUsername = env['REMEDIATOR_REDIS_SENTINEL_USERNAME'] || undefined;
  const sentinelPassword = secret('REMEDIATOR_REDIS_SENTINEL_PASSWORD');
  const sentinelSet = sentinelUsername !== undefined || sentinelPassword !== undefined;
  needs('REMEDIATOR_REDIS_SENTINEL_*', sentinelSet, sentinel, 'a redis+sentinel:// REDIS_URL');
  const pem = (name: string): string | undefined => readPem(env, name, problems);
  const tls = { ca: pem('REMEDIATOR_REDIS_TLS_CA_FILE'), cert: pem('REMEDIATOR_REDIS_TLS_CERT_FILE') };
  const key = pem('REMEDIATOR_REDIS_TLS_KEY_FILE');
  if (!env['REMEDIATOR_REDIS_TLS_CERT_FILE'] !== !env['REMEDIATOR_REDIS_TLS_KEY_FILE']) {
    problems.push(
      'REMEDIATOR_REDIS_TLS_CERT_FILE and REMEDIATOR_REDIS_TLS_KEY_FILE go together: set both or neither',
    );
  }
  const tlsSet = tls.ca !== undefined || tls.cert !== undefined || key !== undefined;
  needs('REMEDIATOR_REDIS_TLS_*', tlsSet, tlsUrl, 'a rediss:// or rediss+sentinel:// REDIS_URL');
  return {
    ...(password !== undefined ? { password } : {}),
    ...(sentinelUsername !== undefined ? { sentinelUsername } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    ...(tlsSet ? { tls: prune({ ...tls, key }) } : {}),
  };
}

function hasPassword(url: string): boolean {
  const auth = /^[a-z+]+:\/\/([^@/]*)@/.exec(url)?.[1];
  return auth !== undefined && auth.includes(':') && auth.slice(auth.indexOf(':') + 1) !== '';
}

function readPem(env: Env, name: string, problems: string[]): string | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    problems.push(`${name}: cannot read ${file}`);
    return undefined;
  }
}

function prune(
  tls: Record<'ca' | 'cert' | 'key', string | undefined>,
): NonNullable<RedisClientConfig['tls']> {
  return Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
}
