import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPolicyView } from '../../src/cli/policy-view.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { readSettings } from '../../src/config/settings.ts';
import { startService } from '../../src/main.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { startSecuredRedis, type SecuredRedis } from '../harness/secured-redis.ts';
import { startTestService } from '../harness/service.ts';

/**
 * remediator against an external Redis that asks for a password (`requirepass`) or an ACL user: every
 * connection (queue, worker, stores) must authenticate; a wrong password must stop start-up with a
 * code instead of leaving a service that answers only 503; no password may reach the log.
 */
const PASSWORD = 'requirepass-0123456789';
const APP_PASSWORD = 'acl-app-password-42';
const RUNBOOK = `
name: poke
match: ['alertname = "Poke"']
target: box
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }
steps:
  - name: poke
    http: { path: "/poke/{{alert.fingerprint}}" }
`;

let plain: SecuredRedis;
let acl: SecuredRedis;
let target: HttpTarget;
let dir: string;

beforeAll(async () => {
  [plain, acl, target] = await Promise.all([
    startSecuredRedis(['port {port}', `requirepass ${PASSWORD}`]),
    // The default user is off; `app` may touch only remediator's keys (the README's advice for ACLs).
    startSecuredRedis([
      'port {port}',
      'user default off',
      `user app on >${APP_PASSWORD} ~remediator:* &* +@all`,
    ]),
    startHttpTarget(),
  ]);
  target.respond(200);
  dir = await mkdtemp(join(tmpdir(), 'remediator-auth-'));
  await writeFile(join(dir, 'redis-password'), `${PASSWORD}\n`, { mode: 0o600 });
}, 30_000);

afterAll(async () => {
  await Promise.all([plain?.stop(), acl?.stop(), target?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** Starts the service on `url`, runs one alert through queue, worker and stores, and returns its logs. */
async function roundTrip(url: string, env: Record<string, string> = {}): Promise<string> {
  const svc = await startTestService({
    runbooks: { 'poke.yaml': RUNBOOK },
    inventory: `targets:\n  box: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    redis: { url, port: 0, pid: 0, dataDir: dir, stop: async () => undefined },
    env: { REDIS_URL: url, ...env },
  });
  try {
    expect((await svc.get('/readyz')).status).toBe(200);
    const body = payload([{ labels: { alertname: 'Poke' } }]);
    const res = await svc.post('/hooks/alertmanager', body);
    expect(res.status).toBe(202);
    const { fingerprint, startsAt } = body.alerts[0]!;
    const id = runId('poke', fingerprint, startsAt);
    expect((await svc.waitForRun(id)).status).toBe('succeeded');
    return svc.logs();
  } finally {
    await svc.stop();
  }
}

/** Starts the service expecting it to fail; returns the error, how long it took, and the logs. */
async function failedStart(env: Record<string, string>) {
  let logs = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += String(chunk);
      done();
    },
  });
  const svcDir = await mkdtemp(join(tmpdir(), 'remediator-auth-svc-'));
  await writeFile(
    join(svcDir, 'inventory.yaml'),
    `targets:\n  box: { http: { baseUrl: "${target.baseUrl}" } }\n`,
  );
  await mkdir(join(svcDir, 'runbooks'));
  await writeFile(join(svcDir, 'runbooks', 'poke.yaml'), RUNBOOK);
  const settings = readSettings({ REMEDIATOR_PORT: '0', ...env }, svcDir);
  const began = Date.now();
  try {
    await startService(settings, 'serve', env, pino({ level: 'debug' }, sink));
    throw new Error('the service started');
  } catch (err) {
    return { err: err as Error & { code?: string }, ms: Date.now() - began, logs: () => logs };
  } finally {
    await rm(svcDir, { recursive: true, force: true });
  }
}

describe('an external Redis with requirepass', () => {
  it('works with the password in REDIS_URL, and never logs it', async () => {
    const logs = await roundTrip(`redis://:${PASSWORD}@127.0.0.1:${plain.port}`);
    expect(logs).not.toContain(PASSWORD);
  });

  it('works with the password in REMEDIATOR_REDIS_PASSWORD_FILE', async () => {
    await roundTrip(`redis://127.0.0.1:${plain.port}`, {
      REMEDIATOR_REDIS_PASSWORD_FILE: join(dir, 'redis-password'),
    });
  });

  it('stops start-up with E_REDIS_AUTH on a wrong password, at once, without logging it', async () => {
    const wrong = 'wrong-password-987654';
    const { err, ms, logs } = await failedStart({ REDIS_URL: `redis://:${wrong}@127.0.0.1:${plain.port}` });
    expect(err.code).toBe('E_REDIS_AUTH');
    expect(err.message).toBe(
      `Redis at redis://***@127.0.0.1:${plain.port} refused remediator's credentials ` +
        '(WRONGPASS invalid username-password pair or user is disabled.): check the user and password in ' +
        'REDIS_URL or REMEDIATOR_REDIS_PASSWORD(_FILE), and for Sentinel REMEDIATOR_REDIS_SENTINEL_PASSWORD(_FILE)',
    );
    expect(ms).toBeLessThan(3_000);
    expect(logs()).not.toContain(wrong);
  });

  it('stops start-up with E_REDIS_AUTH when no password is given', async () => {
    const { err } = await failedStart({ REDIS_URL: `redis://127.0.0.1:${plain.port}` });
    expect(err.code).toBe('E_REDIS_AUTH');
    expect(err.message).toMatch(/refused remediator's credentials \(NOAUTH /);
  });

  it('lets `remediator test` read the live policy state with the password from settings', async () => {
    const settings = readSettings({
      REDIS_URL: `redis://127.0.0.1:${plain.port}`,
      REMEDIATOR_REDIS_PASSWORD_FILE: join(dir, 'redis-password'),
    });
    const view = await openPolicyView(settings, false);
    try {
      expect(view?.view.source).toBe('live');
      expect(await view!.view.stores.pauses.list()).toEqual([]);
    } finally {
      await view?.close();
    }
    const refused = openPolicyView(readSettings({ REDIS_URL: `redis://127.0.0.1:${plain.port}` }), false);
    await expect(refused).rejects.toMatchObject({ code: 'E_REDIS_AUTH' });
  });
});

describe('an external Redis with an ACL user', () => {
  it('works as that user', async () => {
    const logs = await roundTrip(`redis://app:${APP_PASSWORD}@127.0.0.1:${acl.port}`);
    expect(logs).not.toContain(APP_PASSWORD);
  });

  it('stops start-up with E_REDIS_AUTH for the wrong user', async () => {
    const { err, logs } = await failedStart({
      REDIS_URL: `redis://bob:${APP_PASSWORD}@127.0.0.1:${acl.port}`,
    });
    expect(err.code).toBe('E_REDIS_AUTH');
    expect(err.message).not.toContain(APP_PASSWORD);
    expect(logs()).not.toContain(APP_PASSWORD);
  });
});
