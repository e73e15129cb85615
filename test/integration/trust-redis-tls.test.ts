import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
 * remediator over TLS to a Redis that listens only on its TLS port (`port 0`), with certificates
 * made here by openssl: trusting the test CA works, the system's CAs (or another CA) must not, and a
 * server that asks for client certificates gets ours.
 */
const PASSWORD = 'tls-requirepass-0123456789';
const RUNBOOK = `
name: poke
match: ['alertname = "Poke"']
target: box
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }
steps:
  - name: poke
    http: { path: "/poke/{{alert.fingerprint}}" }
`;

let certs: TestCertificates;
let tlsOnly: SecuredRedis;
let mutual: SecuredRedis;
let target: HttpTarget;

function tlsConfig(authClients: 'no' | 'yes'): string[] {
  return [
    'port 0',
    'tls-port {port}',
    `tls-cert-file ${certs.serverCert}`,
    `tls-key-file ${certs.serverKey}`,
    `tls-ca-cert-file ${certs.ca}`,
    `tls-auth-clients ${authClients}`,
    `requirepass ${PASSWORD}`,
  ];
}

beforeAll(async () => {
  certs = await makeCertificates();
  [tlsOnly, mutual, target] = await Promise.all([
    startSecuredRedis(tlsConfig('no')),
    startSecuredRedis(tlsConfig('yes')),
    startHttpTarget(),
  ]);
  target.respond(200);
}, 30_000);

afterAll(async () => {
  await Promise.all([tlsOnly?.stop(), mutual?.stop(), target?.stop()]);
  await rm(certs.dir, { recursive: true, force: true });
});

async function roundTrip(url: string, env: Record<string, string>): Promise<void> {
  const svc = await startTestService({
    runbooks: { 'poke.yaml': RUNBOOK },
    inventory: `targets:\n  box: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    redis: { url, port: 0, pid: 0, dataDir: certs.dir, stop: async () => undefined },
    env: { REDIS_URL: url, ...env },
  });
  try {
    expect((await svc.get('/readyz')).status).toBe(200);
    const body = payload([{ labels: { alertname: 'Poke' } }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const { fingerprint, startsAt } = body.alerts[0]!;
    expect((await svc.waitForRun(runId('poke', fingerprint, startsAt))).status).toBe('succeeded');
  } finally {
    await svc.stop();
  }
}

async function failedStart(env: Record<string, string>): Promise<Error & { code?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'remediator-tls-svc-'));
  try {
    await writeFile(join(dir, 'inventory.yaml'), 'targets: {}\n');
    await mkdir(join(dir, 'runbooks'));
    const settings = readSettings({ REMEDIATOR_PORT: '0', ...env }, dir);
    const quiet = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
    await startService(settings, 'serve', env, quiet);
  } catch (err) {
    return err as Error & { code?: string };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error('the service started');
}

describe('an external Redis over TLS', () => {
  it('works with rediss:// and the CA that signed the server certificate', async () => {
    await roundTrip(`rediss://:${PASSWORD}@127.0.0.1:${tlsOnly.port}`, {
      REMEDIATOR_REDIS_TLS_CA_FILE: certs.ca,
    });
  });

  it('refuses a server whose certificate no trusted CA signed, with E_REDIS_TLS', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${tlsOnly.port}`;
    const cases: Record<string, string>[] = [
      { REDIS_URL: url },
      { REDIS_URL: url, REMEDIATOR_REDIS_TLS_CA_FILE: certs.otherCa },
    ];
    for (const env of cases) {
      const err = await failedStart(env);
      expect(err.code).toBe('E_REDIS_TLS');
      expect(err.message).toMatch(
        new RegExp(
          `^TLS handshake with Redis at rediss://\\*\\*\\*@127\\.0\\.0\\.1:${tlsOnly.port} failed \\(`,
        ),
      );
      expect(err.message).not.toContain(PASSWORD);
    }
  });

  it('presents the client certificate to a server that requires one', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${mutual.port}`;
    await roundTrip(url, {
      REMEDIATOR_REDIS_TLS_CA_FILE: certs.ca,
      REMEDIATOR_REDIS_TLS_CERT_FILE: certs.clientCert,
      REMEDIATOR_REDIS_TLS_KEY_FILE: certs.clientKey,
    });
  });
});
