import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/settings.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { startService } from '../../src/main.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import {
  makeCertificates,
  startSecuredRedis,
  type SecuredRedis,
  type TestCertificates,
} from '../harness/secured-redis.ts';
import { startTestService } from '../harness/service.ts';

/**
 * Sentinel where both the data server and the Sentinel ask for a password: remediator must give the
 * Sentinel its own (REMEDIATOR_REDIS_SENTINEL_PASSWORD) and the data server its own.
 */
const DATA_PASSWORD = 'sentinel-data-password-01';
const SENTINEL_PASSWORD = 'sentinel-own-password-02';
const RUNBOOK = `
name: poke
match: ['alertname = "Poke"']
target: box
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }
steps:
  - name: poke
    http: { path: "/poke/{{alert.fingerprint}}" }
`;

let primary: SecuredRedis;
let sentinel: SecuredRedis;
let certs: TestCertificates;
let tlsPrimary: SecuredRedis;
let tlsSentinel: SecuredRedis;
let target: HttpTarget;
let url: string;

beforeAll(async () => {
  primary = await startSecuredRedis(['port {port}', `requirepass ${DATA_PASSWORD}`]);
  sentinel = await startSecuredRedis(
    [
      'port {port}',
      `sentinel monitor main 127.0.0.1 ${primary.port} 1`,
      `sentinel auth-pass main ${DATA_PASSWORD}`,
      `requirepass ${SENTINEL_PASSWORD}`,
    ],
    { sentinel: true },
  );
  certs = await makeCertificates();
  const tls = [
    'port 0',
    'tls-port {port}',
    `tls-cert-file ${certs.serverCert}`,
    `tls-key-file ${certs.serverKey}`,
    `tls-ca-cert-file ${certs.ca}`,
    'tls-auth-clients no',
  ];
  tlsPrimary = await startSecuredRedis([...tls, `requirepass ${DATA_PASSWORD}`]);
  tlsSentinel = await startSecuredRedis(
    [
      ...tls,
      'tls-replication yes', // the Sentinel reaches the primary over TLS too
      `sentinel monitor main 127.0.0.1 ${tlsPrimary.port} 1`,
      `sentinel auth-pass main ${DATA_PASSWORD}`,
      `requirepass ${SENTINEL_PASSWORD}`,
    ],
    { sentinel: true },
  );
  target = await startHttpTarget();
  target.respond(200);
  url = `redis+sentinel://127.0.0.1:${sentinel.port}/main`;
}, 60_000);

afterAll(async () => {
  await Promise.all([sentinel?.stop(), tlsSentinel?.stop()]);
  await Promise.all([primary?.stop(), tlsPrimary?.stop(), target?.stop()]);
  await rm(certs.dir, { recursive: true, force: true });
});

async function roundTrip(redisUrl: string, env: Record<string, string>): Promise<string> {
  const svc = await startTestService({
    runbooks: { 'poke.yaml': RUNBOOK },
    inventory: `targets:\n  box: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    redis: { url: redisUrl, port: 0, pid: 0, dataDir: primary.dir, stop: async () => undefined },
    env: { REDIS_URL: redisUrl, ...env },
  });
  try {
    const body = payload([{ labels: { alertname: 'Poke' } }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const { fingerprint, startsAt } = body.alerts[0]!;
    expect((await svc.waitForRun(runId('poke', fingerprint, startsAt))).status).toBe('succeeded');
    return svc.logs();
  } finally {
    await svc.stop();
  }
}

describe('Sentinel with passwords', () => {
  it('asks the Sentinel with its password and the primary with its own', async () => {
    const logs = await roundTrip(url, {
      REMEDIATOR_REDIS_PASSWORD: DATA_PASSWORD,
      REMEDIATOR_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    expect(logs).not.toContain(DATA_PASSWORD);
    expect(logs).not.toContain(SENTINEL_PASSWORD);
  });

  it('speaks TLS to the Sentinel and the primary with rediss+sentinel://', async () => {
    await roundTrip(`rediss+sentinel://127.0.0.1:${tlsSentinel.port}/main`, {
      REMEDIATOR_REDIS_PASSWORD: DATA_PASSWORD,
      REMEDIATOR_REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      REMEDIATOR_REDIS_TLS_CA_FILE: certs.ca,
    });
  });

  it('stops start-up with E_REDIS_AUTH when the Sentinel refuses the password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remediator-sentinel-auth-'));
    try {
      await writeFile(join(dir, 'inventory.yaml'), 'targets: {}\n');
      await mkdir(join(dir, 'runbooks'));
      const env = {
        REDIS_URL: url,
        REMEDIATOR_PORT: '0',
        REMEDIATOR_REDIS_PASSWORD: DATA_PASSWORD,
        REMEDIATOR_REDIS_SENTINEL_PASSWORD: 'not-the-sentinel-password',
      };
      const started = startService(readSettings(env, dir), 'serve', env, pino({ level: 'silent' }));
      await expect(started).rejects.toMatchObject({ code: 'E_REDIS_AUTH' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
