import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { dumpRedis } from '../harness/redis-dump.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const SECRET = `admin-${Math.random().toString(36).slice(2)}-secret`;
let target: HttpTarget;
let svc: TestService;

const RUNBOOK = `
name: resize-pool
match: ['alertname = "ConnectionPoolExhausted"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
params:
  pool: { from: "{{labels.pool}}", pattern: '[^/]*(/[^/]*)*' }
  alertname: { from: "{{labels.alertname}}", pattern: '[A-Za-z]+' }
steps:
  - name: grow-pool
    http:
      method: POST
      path: /admin/pool/{{params.pool}}
      headers: { x-remediator-run: "{{alert.fingerprint}}" }
      body: { maxConnections: 50, reason: "{{params.alertname}} on {{target}}", force: true }
      expect: [200, 204]
      timeout: 2s
`;

let secretDir: string | undefined;

beforeAll(async () => {
  target = await startHttpTarget();
  secretDir = await mkdtemp(join(tmpdir(), 'remediator-token-'));
  const secretFile = join(secretDir, 'token');
  await writeFile(secretFile, `${SECRET}\n`);
  svc = await startTestService({
    runbooks: { 'pool.yaml': RUNBOOK },
    inventory: `
targets:
  db-app:9000:
    http:
      baseUrl: "${target.baseUrl}"
      headers: { authorization: "Bearer \${file:${secretFile}}" }
`,
  });
});

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

async function post(labels: Record<string, string>) {
  const body = payload([
    { labels: { alertname: 'ConnectionPoolExhausted', instance: 'db-app:9000', ...labels } },
  ]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const alert = body.alerts[0]!;
  return svc.waitForRun(runId('resize-pool', alert.fingerprint, alert.startsAt));
}

describe('webhook -> http step', () => {
  it('calls the target API with the rendered request and inventory credentials', async () => {
    target.respond(200, '{"maxConnections":50}');
    const run = await post({ pool: 'main' });
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]).toMatchObject({
      status: 'succeeded',
      httpStatus: 200,
      output: '{"maxConnections":50}',
    });
    const request = target.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/admin/pool/main');
    expect(request.headers['authorization']).toBe(`Bearer ${SECRET}`);
    expect(request.headers['x-remediator-run']).toBe(run.alert.fingerprint);
    expect(JSON.parse(request.body)).toEqual({
      maxConnections: 50,
      reason: 'ConnectionPoolExhausted on db-app:9000',
      force: true,
    });
  });

  it('keeps a hostile label inside one path segment', async () => {
    target.respond(204);
    const run = await post({ pool: '../../shutdown?now=1' });
    expect(run.status).toBe('succeeded');
    expect(target.requests.at(-1)!.url).toBe('/admin/pool/..%2F..%2Fshutdown%3Fnow%3D1');
  });

  it('fails on an unexpected status, with the status and the body excerpt', async () => {
    target.respond(503, 'pool locked');
    const run = await post({ pool: 'main' });
    expect(run).toMatchObject({ status: 'failed', reason: 'E_STATUS' });
    expect(run.steps[0]).toMatchObject({ httpStatus: 503, output: 'pool locked', errorCode: 'E_STATUS' });
  });

  it('never writes the inventory secret into Redis, run records or logs', async () => {
    const all = await dumpRedis(svc.redis.url);
    expect(all).toContain('ConnectionPoolExhausted'); // the scan did read the run records
    expect(all).not.toContain(SECRET);
    const runs = await (await svc.get('/api/v1/runs')).text();
    expect(runs).toContain('resize-pool');
    expect(runs).not.toContain(SECRET);
    expect(svc.logs()).toContain('run succeeded');
    expect(svc.logs()).not.toContain(SECRET);
  });

  it('lists runs newest first, filtered and paged', async () => {
    const all = (await (await svc.get('/api/v1/runs?runbook=resize-pool')).json()) as {
      runs: { receivedAt: string; status: string }[];
    };
    expect(all.runs.length).toBe(3);
    const times = all.runs.map((r) => Date.parse(r.receivedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const failed = (await (await svc.get('/api/v1/runs?status=failed')).json()) as {
      runs: { status: string }[];
    };
    expect(failed.runs.map((r) => r.status)).toEqual(['failed']);
    const page = (await (await svc.get('/api/v1/runs?limit=2')).json()) as {
      runs: unknown[];
      nextOffset?: number;
    };
    expect(page.runs.length).toBe(2);
    expect(page.nextOffset).toBe(2);
    const rest = (await (await svc.get('/api/v1/runs?limit=2&offset=2')).json()) as {
      runs: unknown[];
      nextOffset?: number;
    };
    expect(rest.runs.length).toBe(1);
    expect(rest.nextOffset).toBeUndefined();
    expect((await svc.get('/api/v1/runs?status=exploded')).status).toBe(400);
    expect((await svc.get('/api/v1/runs/doesnotexist')).status).toBe(404);
  });
});
