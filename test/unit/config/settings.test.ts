import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings, type Env } from '../../../src/config/settings.ts';
import { ConfigError } from '../../../src/errors.ts';

const CWD = '/srv/remediator';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'settings-'));
  await writeFile(join(dir, 'token'), 'token-from-file\n');
  await writeFile(join(dir, 'password'), 'pw-from-file');
  await writeFile(join(dir, 'operator'), 'op-from-file\r\n');
  await writeFile(join(dir, 'empty'), '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The problems readSettings reports, failing the test if it succeeds. */
function problemsOf(env: Env): readonly string[] {
  try {
    readSettings(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('the settings were accepted');
}

describe('readSettings', () => {
  it('has a default for everything, relative to the working directory', () => {
    expect(readSettings({}, CWD)).toEqual({
      host: '127.0.0.1',
      port: 9787,
      redisClient: {},
      redisPrefix: 'remediator',
      redisMinReplicas: 0,
      runbooksDir: '/srv/remediator/runbooks',
      inventoryFile: '/srv/remediator/inventory.yaml',
      dataDir: '/srv/remediator/data',
      bodyLimit: 64 * 1024 * 1024,
      concurrency: 4,
      shutdownGraceMs: 30_000,
      maxRuns: 10_000,
      logLevel: 'info',
      maxInFlight: 10,
      rateLimit: { limit: 60, windowMs: 3_600_000 },
      stormLimit: { limit: 100, windowMs: 60_000 },
      dryRun: false,
      protectDocs: false,
      honourSilences: false,
      escalationWebhooks: '',
      approvalWebhooks: '',
      lockTtlMs: 30_000,
      waitPollMs: 5_000,
      stabilizeMs: 600_000,
      local: { execAllow: [], execPath: [], execEnv: [] },
      alertmanagerUrls: [],
      pageHold: false,
      pageHoldLapseMs: 120_000,
      pageHoldResolveWaitMs: 600_000,
      pageHoldKeepForApproval: false,
    });
  });

  it('treats empty values as unset and ignores variables of other programs', () => {
    const env = { REMEDIATOR_PORT: '', REDIS_URL: '', REMEDIATOR_LOG_LEVEL: '', PATH: '/bin', HOME: '/root' };
    expect(readSettings(env, CWD)).toEqual(readSettings({}, CWD));
  });

  it('parses every variable', () => {
    const settings = readSettings(
      {
        REMEDIATOR_HOST: '0.0.0.0',
        REMEDIATOR_PORT: '8080',
        REDIS_URL: 'redis://redis.example:6379/2',
        REMEDIATOR_REDIS_PREFIX: 'rx',
        REMEDIATOR_REDIS_PASSWORD: 'redis-pw',
        REMEDIATOR_REDIS_MIN_REPLICAS: '1',
        REMEDIATOR_RUNBOOKS_DIR: 'conf/runbooks',
        REMEDIATOR_INVENTORY: '/etc/remediator/inventory.yaml',
        REMEDIATOR_DATA_DIR: '../state',
        REMEDIATOR_WEBHOOK_TOKEN: 'hook-token',
        REMEDIATOR_WEBHOOK_USERNAME: 'am',
        REMEDIATOR_WEBHOOK_PASSWORD: 'pw',
        REMEDIATOR_OPERATOR_TOKEN: 'op-token',
        REMEDIATOR_METRICS_TOKEN: 'metrics-token',
        REMEDIATOR_PROTECT_DOCS: 'true',
        REMEDIATOR_BODY_LIMIT: '2048',
        REMEDIATOR_CONCURRENCY: '8',
        REMEDIATOR_SHUTDOWN_GRACE: '1m30s',
        REMEDIATOR_MAX_RUNS: '500',
        REMEDIATOR_LOG_LEVEL: 'debug',
        REMEDIATOR_MAX_IN_FLIGHT: '3',
        REMEDIATOR_RATE_LIMIT: '20 per 10m',
        REMEDIATOR_STORM_LIMIT: 'off',
        REMEDIATOR_DRY_RUN: 'true',
        REMEDIATOR_PROMETHEUS_URL: 'http://prom:9090/',
        REMEDIATOR_ALERTMANAGER_URL: 'http://am:9093',
        REMEDIATOR_HONOUR_SILENCES: '1',
        REMEDIATOR_ESCALATION_WEBHOOKS: 'https://hooks.example/x',
        REMEDIATOR_APPROVAL_WEBHOOKS: 'slack+https://hooks.example/a',
        REMEDIATOR_APPROVAL_SECRET: 'sixteen-chars-or-more',
        REMEDIATOR_SLACK_SIGNING_SECRET: 'slack-secret',
        REMEDIATOR_PUBLIC_URL: 'https://remediator.example',
        REMEDIATOR_LOCK_TTL: '10s',
        REMEDIATOR_WAIT_POLL: 'off',
        REMEDIATOR_STABILIZE: '5m',
        REMEDIATOR_EXEC_ALLOW: '/usr/bin/kubectl,/opt/fixes/',
        REMEDIATOR_EXEC_PATH: '/opt/fixes',
        REMEDIATOR_EXEC_ENV: 'KUBECONFIG',
        REMEDIATOR_ANSIBLE_PLAYBOOKS: '/srv/playbooks/',
        REMEDIATOR_PAGE_HOLD: 'true',
        REMEDIATOR_PAGE_HOLD_LAPSE: '90s',
        REMEDIATOR_PAGE_HOLD_RESOLVE_WAIT: '15m',
        REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL: 'true',
      },
      CWD,
    );
    expect(settings).toEqual({
      host: '0.0.0.0',
      port: 8080,
      redisUrl: 'redis://redis.example:6379/2',
      redisClient: { password: 'redis-pw' },
      redisPrefix: 'rx',
      redisMinReplicas: 1,
      runbooksDir: '/srv/remediator/conf/runbooks',
      inventoryFile: '/etc/remediator/inventory.yaml',
      dataDir: '/srv/state',
      webhookToken: 'hook-token',
      webhookBasic: { username: 'am', password: 'pw' },
      operatorToken: 'op-token',
      metricsToken: 'metrics-token',
      protectDocs: true,
      bodyLimit: 2048,
      concurrency: 8,
      shutdownGraceMs: 90_000,
      maxRuns: 500,
      logLevel: 'debug',
      maxInFlight: 3,
      rateLimit: { limit: 20, windowMs: 600_000 },
      stormLimit: 'off',
      dryRun: true,
      prometheusUrl: 'http://prom:9090',
      alertmanagerUrl: 'http://am:9093',
      honourSilences: true,
      escalationWebhooks: 'https://hooks.example/x',
      approvalWebhooks: 'slack+https://hooks.example/a',
      approvalSecret: 'sixteen-chars-or-more',
      slackSigningSecret: 'slack-secret',
      publicUrl: 'https://remediator.example',
      lockTtlMs: 10_000,
      waitPollMs: 0,
      stabilizeMs: 300_000,
      local: {
        execAllow: ['/usr/bin/kubectl', '/opt/fixes/'],
        execPath: ['/opt/fixes'],
        execEnv: ['KUBECONFIG'],
        playbooksDir: '/srv/playbooks',
      },
      alertmanagerUrls: ['http://am:9093'],
      pageHold: true,
      pageHoldLapseMs: 90_000,
      pageHoldResolveWaitMs: 900_000,
      pageHoldKeepForApproval: true,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('reads secrets from _FILE variables, trimming one trailing line break', () => {
    const settings = readSettings(
      {
        REMEDIATOR_WEBHOOK_TOKEN_FILE: join(dir, 'token'),
        REMEDIATOR_WEBHOOK_USERNAME: 'am',
        REMEDIATOR_WEBHOOK_PASSWORD_FILE: join(dir, 'password'),
        REMEDIATOR_OPERATOR_TOKEN_FILE: join(dir, 'operator'),
      },
      CWD,
    );
    expect(settings.webhookToken).toBe('token-from-file');
    expect(settings.webhookBasic).toEqual({ username: 'am', password: 'pw-from-file' });
    expect(settings.operatorToken).toBe('op-from-file');
  });

  it('refuses NAME and NAME_FILE set together', () => {
    expect(
      problemsOf({ REMEDIATOR_OPERATOR_TOKEN: 'x', REMEDIATOR_OPERATOR_TOKEN_FILE: join(dir, 'token') }),
    ).toEqual([
      'environment: REMEDIATOR_OPERATOR_TOKEN and REMEDIATOR_OPERATOR_TOKEN_FILE are both set: keep one',
    ]);
  });

  it('refuses a _FILE that cannot be read or is empty', () => {
    const missing = join(dir, 'missing');
    expect(problemsOf({ REMEDIATOR_WEBHOOK_TOKEN_FILE: missing })).toEqual([
      `environment: REMEDIATOR_WEBHOOK_TOKEN_FILE: cannot read ${missing}`,
    ]);
    expect(problemsOf({ REMEDIATOR_OPERATOR_TOKEN_FILE: join(dir, 'empty') })).toEqual([
      `environment: REMEDIATOR_OPERATOR_TOKEN_FILE: ${join(dir, 'empty')} is empty`,
    ]);
  });

  it('refuses unknown REMEDIATOR_ variables', () => {
    expect(problemsOf({ REMEDIATOR_PROT: '8080', REMEDIATORX: 'ignored', REDIS_HOST: 'ignored' })).toEqual([
      'environment: REMEDIATOR_PROT: unknown setting',
    ]);
  });

  it('refuses numbers out of range or not whole', () => {
    expect(problemsOf({ REMEDIATOR_PORT: '65536' })).toEqual([
      'environment: REMEDIATOR_PORT: must be a whole number from 0 to 65535 (got "65536")',
    ]);
    expect(problemsOf({ REMEDIATOR_PORT: 'http' })).toEqual([
      'environment: REMEDIATOR_PORT: must be a whole number from 0 to 65535 (got "http")',
    ]);
    expect(problemsOf({ REMEDIATOR_CONCURRENCY: '0' })).toEqual([
      'environment: REMEDIATOR_CONCURRENCY: must be a whole number from 1 to 256 (got "0")',
    ]);
    expect(problemsOf({ REMEDIATOR_CONCURRENCY: '2.5' })).toEqual([
      'environment: REMEDIATOR_CONCURRENCY: must be a whole number from 1 to 256 (got "2.5")',
    ]);
    expect(problemsOf({ REMEDIATOR_BODY_LIMIT: '1023' })).toEqual([
      'environment: REMEDIATOR_BODY_LIMIT: must be a whole number from 1024 to 536870912 (got "1023")',
    ]);
    expect(problemsOf({ REMEDIATOR_MAX_RUNS: '99' })).toEqual([
      'environment: REMEDIATOR_MAX_RUNS: must be a whole number from 100 to 10000000 (got "99")',
    ]);
    expect(problemsOf({ REMEDIATOR_REDIS_MIN_REPLICAS: '17' })).toEqual([
      'environment: REMEDIATOR_REDIS_MIN_REPLICAS: must be a whole number from 0 to 16 (got "17")',
    ]);
  });

  it('refuses a bad duration and an unknown log level', () => {
    expect(problemsOf({ REMEDIATOR_SHUTDOWN_GRACE: '30' })).toEqual([
      'environment: REMEDIATOR_SHUTDOWN_GRACE: must be a duration like 30s (got "30")',
    ]);
    expect(problemsOf({ REMEDIATOR_SHUTDOWN_GRACE: '30 s' })).toEqual([
      'environment: REMEDIATOR_SHUTDOWN_GRACE: must be a duration like 30s (got "30 s")',
    ]);
    expect(problemsOf({ REMEDIATOR_LOG_LEVEL: 'verbose' })).toEqual([
      'environment: REMEDIATOR_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('refuses a username without a password, and a password without a username', () => {
    const together =
      'environment: REMEDIATOR_WEBHOOK_USERNAME and REMEDIATOR_WEBHOOK_PASSWORD(_FILE) go together: set both or neither';
    expect(problemsOf({ REMEDIATOR_WEBHOOK_USERNAME: 'am' })).toEqual([together]);
    expect(problemsOf({ REMEDIATOR_WEBHOOK_PASSWORD_FILE: join(dir, 'password') })).toEqual([together]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ REMEDIATOR_FOO: 'x', REMEDIATOR_PORT: '-1', REMEDIATOR_CONCURRENCY: '300' })).toEqual(
      [
        'environment: REMEDIATOR_FOO: unknown setting',
        'environment: REMEDIATOR_PORT: must be a whole number from 0 to 65535 (got "-1")',
        'environment: REMEDIATOR_CONCURRENCY: must be a whole number from 1 to 256 (got "300")',
      ],
    );
  });
});

describe('whole numbers', () => {
  it.each(['0x50', ' 80 ', '8e3', '80.0', '-1'])('refuses %j for a port', (raw) => {
    expect(problemsOf({ REMEDIATOR_PORT: raw })).toEqual([
      `environment: REMEDIATOR_PORT: must be a whole number from 0 to 65535 (got ${JSON.stringify(raw)})`,
    ]);
  });
  it('treats an empty webhook user name as unset', () => {
    expect(readSettings({ REMEDIATOR_WEBHOOK_USERNAME: '' }, CWD).webhookBasic).toBeUndefined();
  });
});

describe('policy settings', () => {
  it('refuses a bad rate, flag or URL, and silences without Alertmanager', () => {
    expect(
      problemsOf({
        REMEDIATOR_RATE_LIMIT: '5/h',
        REMEDIATOR_STORM_LIMIT: '100/min',
        REMEDIATOR_DRY_RUN: 'yes',
        REMEDIATOR_PROMETHEUS_URL: 'prom:9090',
      }),
    ).toEqual([
      'environment: REMEDIATOR_RATE_LIMIT: must be a rate like "60 per 1h" (got "5/h")',
      'environment: REMEDIATOR_STORM_LIMIT: must be a rate like "100 per 1m", or off (got "100/min")',
      'environment: REMEDIATOR_DRY_RUN: must be true or false (got "yes")',
      'environment: REMEDIATOR_PROMETHEUS_URL: must be an http:// or https:// URL (got "prom:9090")',
    ]);
    expect(problemsOf({ REMEDIATOR_HONOUR_SILENCES: 'true' })).toEqual([
      'environment: REMEDIATOR_HONOUR_SILENCES needs REMEDIATOR_ALERTMANAGER_URL',
    ]);
  });
});

describe('page hold settings', () => {
  it('takes every peer of an HA Alertmanager, comma-separated; the first answers verify and silences', () => {
    const s = readSettings({ REMEDIATOR_ALERTMANAGER_URL: 'http://am-1:9093/, http://am-2:9093' }, CWD);
    expect(s.alertmanagerUrls).toEqual(['http://am-1:9093', 'http://am-2:9093']);
    expect(s.alertmanagerUrl).toBe('http://am-1:9093');
  });

  it('refuses a bad peer, a hold without Alertmanager, and a lapse shorter than the lock TTL', () => {
    expect(problemsOf({ REMEDIATOR_ALERTMANAGER_URL: 'http://am-1:9093,am-2:9093' })).toEqual([
      'environment: REMEDIATOR_ALERTMANAGER_URL: must be http:// or https:// URLs, comma-separated (got "am-2:9093")',
    ]);
    expect(problemsOf({ REMEDIATOR_PAGE_HOLD: 'true' })).toEqual([
      'environment: REMEDIATOR_PAGE_HOLD needs REMEDIATOR_ALERTMANAGER_URL (the API the hold is made through)',
    ]);
    expect(problemsOf({ REMEDIATOR_PAGE_HOLD_LAPSE: '20s' })).toEqual([
      'environment: REMEDIATOR_PAGE_HOLD_LAPSE: must be at least REMEDIATOR_LOCK_TTL (30s), since holds are renewed with the lock',
    ]);
  });
});
