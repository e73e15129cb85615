import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, type Env } from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/errors.ts';
import { clientOptions } from '../../../src/redis/client-options.ts';
import { parseRedisUrl } from '../../../src/redis/url.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redis-settings-'));
  await writeFile(join(dir, 'redis-pw'), 'pw-from-file\n');
  await writeFile(join(dir, 'ca.pem'), 'CA PEM');
  await writeFile(join(dir, 'cert.pem'), 'CERT PEM');
  await writeFile(join(dir, 'key.pem'), 'KEY PEM');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function problemsOf(env: Env): readonly string[] {
  try {
    readSettings(env, '/srv');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the settings were accepted');
}

describe('Redis credentials and TLS settings', () => {
  it('reads the password from a file, and the TLS files, for a rediss:// URL', () => {
    const settings = readSettings(
      {
        REDIS_URL: 'rediss://app@redis.example:6380',
        REMEDIATOR_REDIS_PASSWORD_FILE: join(dir, 'redis-pw'),
        REMEDIATOR_REDIS_TLS_CA_FILE: join(dir, 'ca.pem'),
        REMEDIATOR_REDIS_TLS_CERT_FILE: join(dir, 'cert.pem'),
        REMEDIATOR_REDIS_TLS_KEY_FILE: join(dir, 'key.pem'),
      },
      '/srv',
    );
    expect(settings.redisClient).toEqual({
      password: 'pw-from-file',
      tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
    });
  });

  it('reads Sentinel credentials for a redis+sentinel:// URL', () => {
    const settings = readSettings(
      {
        REDIS_URL: 'redis+sentinel://127.0.0.1:26379/main',
        REMEDIATOR_REDIS_SENTINEL_USERNAME: 'watcher',
        REMEDIATOR_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      },
      '/srv',
    );
    expect(settings.redisClient).toEqual({ sentinelUsername: 'watcher', sentinelPassword: 'sentinel-pw' });
  });

  it('refuses settings that would be ignored, or clash, with exact texts', () => {
    expect(problemsOf({ REMEDIATOR_REDIS_PASSWORD: 'pw' })).toEqual([
      'environment: REMEDIATOR_REDIS_PASSWORD(_FILE) needs REDIS_URL',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://:a@h:1', REMEDIATOR_REDIS_PASSWORD: 'pw' })).toEqual([
      'environment: REDIS_URL holds a password and REMEDIATOR_REDIS_PASSWORD(_FILE) is set: keep one',
    ]);
    expect(
      problemsOf({ REDIS_URL: 'redis://h:1', REMEDIATOR_REDIS_TLS_CA_FILE: join(dir, 'ca.pem') }),
    ).toEqual(['environment: REMEDIATOR_REDIS_TLS_* needs a rediss:// or rediss+sentinel:// REDIS_URL']);
    expect(problemsOf({ REDIS_URL: 'redis://h:1', REMEDIATOR_REDIS_SENTINEL_PASSWORD: 'x' })).toEqual([
      'environment: REMEDIATOR_REDIS_SENTINEL_* needs a redis+sentinel:// REDIS_URL',
    ]);
    expect(
      problemsOf({ REDIS_URL: 'rediss://h:1', REMEDIATOR_REDIS_TLS_CERT_FILE: join(dir, 'cert.pem') }),
    ).toEqual([
      'environment: REMEDIATOR_REDIS_TLS_CERT_FILE and REMEDIATOR_REDIS_TLS_KEY_FILE go together: set both or neither',
    ]);
    expect(
      problemsOf({ REDIS_URL: 'rediss://h:1', REMEDIATOR_REDIS_TLS_CA_FILE: '/nonexistent/ca' }),
    ).toEqual(['environment: REMEDIATOR_REDIS_TLS_CA_FILE: cannot read /nonexistent/ca']);
  });
});

describe('clientOptions', () => {
  const config = {
    password: 'pw',
    sentinelUsername: 'watcher',
    sentinelPassword: 'spw',
    tls: { ca: 'CA' },
  };

  it('gives TLS options only to rediss:// targets', () => {
    expect(clientOptions(parseRedisUrl('redis://h:1'), { password: 'pw' })).toEqual({ password: 'pw' });
    expect(clientOptions(parseRedisUrl('rediss://h:1'), { tls: { ca: 'CA' } })).toEqual({
      tls: { ca: 'CA' },
    });
    expect(clientOptions(parseRedisUrl('rediss://h:1'), {})).toEqual({ tls: {} });
  });

  it('authenticates to the Sentinels and speaks TLS to them and the data servers with rediss+sentinel://', () => {
    expect(clientOptions(parseRedisUrl('rediss+sentinel://h:26379/m'), config)).toEqual({
      password: 'pw',
      sentinelUsername: 'watcher',
      sentinelPassword: 'spw',
      tls: { ca: 'CA' },
      sentinelTLS: { ca: 'CA' },
      enableTLSForSentinelMode: true,
    });
  });
});
