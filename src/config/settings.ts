import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Rate } from '../types.ts';
import { parseDuration } from './duration.ts';
import { parseRate } from './policy.ts';
import type { RedisClientConfig } from '../redis/client-options.ts';
import { readRedisClientConfig, REDIS_SETTING_NAMES } from './redis-settings.ts';
import { LOCAL_SETTING_NAMES, readLocalStepSettings, type LocalStepSettings } from './local-settings.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Every setting remediator reads, with its environment variable and default (see README). */
export interface Settings {
  /** REMEDIATOR_HOST @defaultValue 127.0.0.1 */
  readonly host: string;
  /** REMEDIATOR_PORT @defaultValue 9787 */
  readonly port: number;
  /** REDIS_URL; unset = spawn an embedded redis-server under the data directory. */
  readonly redisUrl?: string;
  /**
   * REMEDIATOR_REDIS_PASSWORD(_FILE), REMEDIATOR_REDIS_SENTINEL_USERNAME / _PASSWORD(_FILE),
   * REMEDIATOR_REDIS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE: credentials and TLS for an external Redis.
   * @defaultValue none
   */
  readonly redisClient: RedisClientConfig;
  /** REMEDIATOR_REDIS_PREFIX: key prefix in Redis @defaultValue remediator */
  readonly redisPrefix: string;
  /**
   * REMEDIATOR_REDIS_MIN_REPLICAS: replicas that must confirm (Redis WAIT) a notification's runs before
   * the webhook answers 202, and a run's claim before its first step; 0 = do not wait @defaultValue 0
   */
  readonly redisMinReplicas: number;
  /** REMEDIATOR_RUNBOOKS_DIR @defaultValue ./runbooks */
  readonly runbooksDir: string;
  /** REMEDIATOR_INVENTORY @defaultValue ./inventory.yaml */
  readonly inventoryFile: string;
  /** REMEDIATOR_DATA_DIR @defaultValue ./data */
  readonly dataDir: string;
  /** REMEDIATOR_WEBHOOK_TOKEN(_FILE): bearer token Alertmanager must send. */
  readonly webhookToken?: string;
  /** REMEDIATOR_WEBHOOK_USERNAME / REMEDIATOR_WEBHOOK_PASSWORD(_FILE): basic auth instead of (or besides) a token. */
  readonly webhookBasic?: { readonly username: string; readonly password: string };
  /**
   * REMEDIATOR_OPERATOR_TOKEN(_FILE): bearer token for /api/v1 and the console; unset = main.ts generates
   * one in `<dataDir>/operator-token` (writes need it, GET /api/v1 stays open: config/operator-token.ts).
   */
  readonly operatorToken?: string;
  /** REMEDIATOR_METRICS_TOKEN(_FILE): bearer token Prometheus must send for /metrics; unset = /metrics is open. */
  readonly metricsToken?: string;
  /** REMEDIATOR_PROTECT_DOCS: /docs (the OpenAPI UI and JSON) needs the operator token @defaultValue false */
  readonly protectDocs: boolean;
  /**
   * REMEDIATOR_BODY_LIMIT: largest webhook body in bytes. The default takes one notification of about
   * 100,000 alerts (Alertmanager's `max_alerts: 0` sends a whole group at once). @defaultValue 67108864 (64 MiB)
   */
  readonly bodyLimit: number;
  /** REMEDIATOR_CONCURRENCY: runs one process executes at once @defaultValue 4 */
  readonly concurrency: number;
  /** REMEDIATOR_SHUTDOWN_GRACE: how long SIGTERM waits for running steps @defaultValue 30s */
  readonly shutdownGraceMs: number;
  /** REMEDIATOR_MAX_RUNS: run records kept in Redis, oldest deleted first @defaultValue 10000 */
  readonly maxRuns: number;
  /** REMEDIATOR_LOG_LEVEL @defaultValue info */
  readonly logLevel: string;
  /** REMEDIATOR_MAX_IN_FLIGHT: runs acting at once, all runbooks and processes together @defaultValue 10 */
  readonly maxInFlight: number;
  /** REMEDIATOR_RATE_LIMIT: runs started per window, all runbooks together @defaultValue 60 per 1h */
  readonly rateLimit: Rate;
  /**
   * REMEDIATOR_STORM_LIMIT: runs of one runbook arriving per window beyond which the excess is
   * refused (`storm`), for runbooks without `policy.storm`; `off` disables it @defaultValue 100 per 1m
   */
  readonly stormLimit: Rate | 'off';
  /** REMEDIATOR_DRY_RUN: take and record every decision, render steps, execute nothing @defaultValue false */
  readonly dryRun: boolean;
  /** REMEDIATOR_PROMETHEUS_URL: for `verify: { promql }` */
  readonly prometheusUrl?: string;
  /** REMEDIATOR_ALERTMANAGER_URL: asked by `verify: { alertResolved }` and for silences (the first of the list) */
  readonly alertmanagerUrl?: string;
  /**
   * REMEDIATOR_ALERTMANAGER_URL, comma-separated: every peer of an HA Alertmanager, tried in order by
   * the page hold. @defaultValue [] (or the one URL)
   */
  readonly alertmanagerUrls: readonly string[];
  /** REMEDIATOR_PAGE_HOLD: runbooks hold the human page while they heal, unless they say `pageHold: false` @defaultValue false */
  readonly pageHold: boolean;
  /** REMEDIATOR_PAGE_HOLD_LAPSE: a hold not renewed ends by itself this long after its last renewal @defaultValue 2m */
  readonly pageHoldLapseMs: number;
  /** REMEDIATOR_PAGE_HOLD_RESOLVE_WAIT: after healing, how long the hold waits for Alertmanager to see the alert resolved @defaultValue 10m */
  readonly pageHoldResolveWaitMs: number;
  /** REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL: keep the hold while a run waits for a human's approval @defaultValue false (the request is the page) */
  readonly pageHoldKeepForApproval: boolean;
  /** REMEDIATOR_HONOUR_SILENCES: treat alerts an active Alertmanager silence matches as paused @defaultValue false */
  readonly honourSilences: boolean;
  /** REMEDIATOR_ESCALATION_WEBHOOKS: comma-separated URLs (`slack+https://...` for Slack's format) */
  readonly escalationWebhooks: string;
  /** REMEDIATOR_APPROVAL_WEBHOOKS: where approval requests are posted, comma-separated (`slack+https://...` for Slack's format) */
  readonly approvalWebhooks: string;
  /**
   * REMEDIATOR_APPROVAL_SECRET(_FILE): signs approval links; unset = a random secret made in
   * `<data dir>/approval-secret` (mode 0600). Replicas on other hosts must all be given the same one.
   */
  readonly approvalSecret?: string;
  /** REMEDIATOR_SLACK_SIGNING_SECRET(_FILE): enables POST /hooks/slack/actions (Slack's interactive buttons) */
  readonly slackSigningSecret?: string;
  /** REMEDIATOR_PUBLIC_URL: how people reach this service, for links in escalations and approval requests */
  readonly publicUrl?: string;
  /** REMEDIATOR_LOCK_TTL: lifetime of target locks and places, renewed while a run acts @defaultValue 30s */
  readonly lockTtlMs: number;
  /**
   * REMEDIATOR_WAIT_POLL: a run waiting for a place is woken when the place is freed; this often the
   * first waiter of every place is woken as well, in case a wake-up was lost (a holder that died
   * frees its place only by expiry). `off`: never (0). @defaultValue 5s
   */
  readonly waitPollMs: number;
  /** REMEDIATOR_STABILIZE: how long a healed target stays `stabilizing` @defaultValue 10m */
  readonly stabilizeMs: number;
  /** REMEDIATOR_EXEC_ALLOW, _EXEC_PATH, _EXEC_ENV, _ANSIBLE_PLAYBOOKS: what exec and ansible steps may run. */
  readonly local: LocalStepSettings;
}

const KNOWN = new Set([
  'REMEDIATOR_HOST',
  'REMEDIATOR_PORT',
  'REMEDIATOR_REDIS_PREFIX',
  'REMEDIATOR_REDIS_MIN_REPLICAS',
  'REMEDIATOR_RUNBOOKS_DIR',
  'REMEDIATOR_INVENTORY',
  'REMEDIATOR_DATA_DIR',
  'REMEDIATOR_WEBHOOK_TOKEN',
  'REMEDIATOR_WEBHOOK_TOKEN_FILE',
  'REMEDIATOR_WEBHOOK_USERNAME',
  'REMEDIATOR_WEBHOOK_PASSWORD',
  'REMEDIATOR_WEBHOOK_PASSWORD_FILE',
  'REMEDIATOR_OPERATOR_TOKEN',
  'REMEDIATOR_OPERATOR_TOKEN_FILE',
  'REMEDIATOR_METRICS_TOKEN',
  'REMEDIATOR_METRICS_TOKEN_FILE',
  'REMEDIATOR_PROTECT_DOCS',
  'REMEDIATOR_BODY_LIMIT',
  'REMEDIATOR_CONCURRENCY',
  'REMEDIATOR_SHUTDOWN_GRACE',
  'REMEDIATOR_MAX_RUNS',
  'REMEDIATOR_LOG_LEVEL',
  'REMEDIATOR_MAX_IN_FLIGHT',
  'REMEDIATOR_RATE_LIMIT',
  'REMEDIATOR_STORM_LIMIT',
  'REMEDIATOR_DRY_RUN',
  'REMEDIATOR_PROMETHEUS_URL',
  'REMEDIATOR_ALERTMANAGER_URL',
  'REMEDIATOR_HONOUR_SILENCES',
  'REMEDIATOR_ESCALATION_WEBHOOKS',
  'REMEDIATOR_PUBLIC_URL',
  'REMEDIATOR_APPROVAL_WEBHOOKS',
  'REMEDIATOR_APPROVAL_SECRET',
  'REMEDIATOR_APPROVAL_SECRET_FILE',
  'REMEDIATOR_SLACK_SIGNING_SECRET',
  'REMEDIATOR_SLACK_SIGNING_SECRET_FILE',
  'REMEDIATOR_LOCK_TTL',
  'REMEDIATOR_PAGE_HOLD',
  'REMEDIATOR_PAGE_HOLD_LAPSE',
  'REMEDIATOR_PAGE_HOLD_RESOLVE_WAIT',
  'REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL',
  'REMEDIATOR_WAIT_POLL',
  'REMEDIATOR_STABILIZE',
  ...REDIS_SETTING_NAMES,
  ...LOCAL_SETTING_NAMES,
]);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads settings once, strictly: a bad value or an unknown REMEDIATOR_ variable is an error. */
export function readSettings(env: Env = process.env, cwd = process.cwd()): Settings {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('REMEDIATOR_') && !KNOWN.has(name)) problems.push(`${name}: unknown setting`);
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return n;
  };
  const secret = (name: string): string | undefined => readSecret(env, name, problems);
  const duration = (name: string, fallback: string): number => {
    const raw = env[name] || fallback;
    const ms = parseDuration(raw);
    if (ms === undefined) problems.push(`${name}: must be a duration like 30s (got ${JSON.stringify(raw)})`);
    return ms ?? 0;
  };
  const flag = (name: string): boolean => {
    const raw = (env[name] ?? '').toLowerCase();
    if (!['', 'true', 'false', '1', '0'].includes(raw)) {
      problems.push(`${name}: must be true or false (got ${JSON.stringify(env[name])})`);
    }
    return raw === 'true' || raw === '1';
  };
  const url = (name: string): string | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    if (!/^https?:\/\/[^/]/.test(raw))
      problems.push(`${name}: must be an http:// or https:// URL (got ${JSON.stringify(raw)})`);
    return raw.replace(/\/+$/, '');
  };
  const rateText = env['REMEDIATOR_RATE_LIMIT'] || '60 per 1h';
  if (!/^[1-9]\d* per (\d+(ms|s|m|h))+$/.test(rateText)) {
    problems.push(`REMEDIATOR_RATE_LIMIT: must be a rate like "60 per 1h" (got ${JSON.stringify(rateText)})`);
  }
  const stormText = env['REMEDIATOR_STORM_LIMIT'] || '100 per 1m';
  if (stormText !== 'off' && !/^[1-9]\d* per (\d+(ms|s|m|h))+$/.test(stormText)) {
    problems.push(
      `REMEDIATOR_STORM_LIMIT: must be a rate like "100 per 1m", or off (got ${JSON.stringify(stormText)})`,
    );
  }
  const logLevel = env['REMEDIATOR_LOG_LEVEL'] || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`REMEDIATOR_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  const grace = env['REMEDIATOR_SHUTDOWN_GRACE'] || '30s';
  const shutdownGraceMs = parseDuration(grace);
  if (shutdownGraceMs === undefined)
    problems.push(`REMEDIATOR_SHUTDOWN_GRACE: must be a duration like 30s (got ${JSON.stringify(grace)})`);
  const username = env['REMEDIATOR_WEBHOOK_USERNAME'] || undefined;
  const password = secret('REMEDIATOR_WEBHOOK_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    problems.push(
      'REMEDIATOR_WEBHOOK_USERNAME and REMEDIATOR_WEBHOOK_PASSWORD(_FILE) go together: set both or neither',
    );
  }
  const alertmanagers = alertmanagerList(env['REMEDIATOR_ALERTMANAGER_URL'], problems);
  const settings: Settings = {
    host: env['REMEDIATOR_HOST'] || '127.0.0.1',
    port: int('REMEDIATOR_PORT', 9787, 0, 65535),
    ...(env['REDIS_URL'] ? { redisUrl: env['REDIS_URL'] } : {}),
    redisClient: readRedisClientConfig(env, secret, problems),
    redisPrefix: env['REMEDIATOR_REDIS_PREFIX'] || 'remediator',
    redisMinReplicas: int('REMEDIATOR_REDIS_MIN_REPLICAS', 0, 0, 16),
    runbooksDir: resolve(cwd, env['REMEDIATOR_RUNBOOKS_DIR'] || 'runbooks'),
    inventoryFile: resolve(cwd, env['REMEDIATOR_INVENTORY'] || 'inventory.yaml'),
    dataDir: resolve(cwd, env['REMEDIATOR_DATA_DIR'] || 'data'),
    ...optional('webhookToken', secret('REMEDIATOR_WEBHOOK_TOKEN')),
    ...(username !== undefined && password !== undefined ? { webhookBasic: { username, password } } : {}),
    ...optional('operatorToken', secret('REMEDIATOR_OPERATOR_TOKEN')),
    ...optional('metricsToken', secret('REMEDIATOR_METRICS_TOKEN')),
    protectDocs: flag('REMEDIATOR_PROTECT_DOCS'),
    bodyLimit: int('REMEDIATOR_BODY_LIMIT', 64 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    concurrency: int('REMEDIATOR_CONCURRENCY', 4, 1, 256),
    shutdownGraceMs: shutdownGraceMs ?? 30_000,
    maxRuns: int('REMEDIATOR_MAX_RUNS', 10_000, 100, 10_000_000),
    logLevel,
    maxInFlight: int('REMEDIATOR_MAX_IN_FLIGHT', 10, 1, 10_000),
    rateLimit: parseRate(rateText),
    stormLimit: stormText === 'off' ? 'off' : parseRate(stormText),
    dryRun: flag('REMEDIATOR_DRY_RUN'),
    ...optional('prometheusUrl', url('REMEDIATOR_PROMETHEUS_URL')),
    ...alertmanagers,
    honourSilences: flag('REMEDIATOR_HONOUR_SILENCES'),
    escalationWebhooks: env['REMEDIATOR_ESCALATION_WEBHOOKS'] ?? '',
    ...optional('publicUrl', url('REMEDIATOR_PUBLIC_URL')),
    approvalWebhooks: env['REMEDIATOR_APPROVAL_WEBHOOKS'] ?? '',
    ...optional('approvalSecret', secret('REMEDIATOR_APPROVAL_SECRET')),
    ...optional('slackSigningSecret', secret('REMEDIATOR_SLACK_SIGNING_SECRET')),
    lockTtlMs: duration('REMEDIATOR_LOCK_TTL', '30s'),
    waitPollMs: env['REMEDIATOR_WAIT_POLL'] === 'off' ? 0 : duration('REMEDIATOR_WAIT_POLL', '5s'),
    stabilizeMs: duration('REMEDIATOR_STABILIZE', '10m'),
    local: readLocalStepSettings(env, problems),
    pageHold: flag('REMEDIATOR_PAGE_HOLD'),
    pageHoldLapseMs: duration('REMEDIATOR_PAGE_HOLD_LAPSE', '2m'),
    pageHoldResolveWaitMs: duration('REMEDIATOR_PAGE_HOLD_RESOLVE_WAIT', '10m'),
    pageHoldKeepForApproval: flag('REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL'),
  };
  if (settings.pageHold && !settings.alertmanagerUrl)
    problems.push(
      'REMEDIATOR_PAGE_HOLD needs REMEDIATOR_ALERTMANAGER_URL (the API the hold is made through)',
    );
  // The hold is renewed with the target lock, every fifth of its TTL: a shorter lapse would end it between renewals.
  if (settings.pageHoldLapseMs < settings.lockTtlMs)
    problems.push(
      `REMEDIATOR_PAGE_HOLD_LAPSE: must be at least REMEDIATOR_LOCK_TTL (${settings.lockTtlMs / 1000}s), since holds are renewed with the lock`,
    );
  if (settings.honourSilences && !settings.alertmanagerUrl) {
    problems.push('REMEDIATOR_HONOUR_SILENCES needs REMEDIATOR_ALERTMANAGER_URL');
  }
  if (settings.approvalSecret !== undefined && settings.approvalSecret.length < 16)
    problems.push('REMEDIATOR_APPROVAL_SECRET: too short to sign links safely (use 16 characters or more)');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `environment: ${p}`));
  return Object.freeze(settings);
}

/** One URL or several (an HA Alertmanager's peers), comma-separated; the first answers verify and silences. */
function alertmanagerList(
  raw: string | undefined,
  problems: string[],
): { alertmanagerUrl?: string; alertmanagerUrls: string[] } {
  const urls = (raw ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const u of urls)
    if (!/^https?:\/\/[^/]/.test(u))
      problems.push(
        `REMEDIATOR_ALERTMANAGER_URL: must be http:// or https:// URLs, comma-separated (got ${JSON.stringify(u)})`,
      );
  const clean = urls.map((u) => u.replace(/\/+$/, ''));
  return clean.length > 0
    ? { alertmanagerUrl: clean[0]!, alertmanagerUrls: clean }
    : { alertmanagerUrls: [] };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** NAME or NAME_FILE (the file's content, trailing newline trimmed); both set is an error. */
function readSecret(env: Env, name: string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) {
    problems.push(`${name} and ${name}_FILE are both set: keep one`);
    return undefined;
  }
  if (file) {
    try {
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (value === '') problems.push(`${name}_FILE: ${file} is empty`);
      return value || undefined;
    } catch {
      problems.push(`${name}_FILE: cannot read ${file}`);
      return undefined;
    }
  }
  return direct || undefined;
}
