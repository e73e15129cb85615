import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const RUNBOOK = `
name: poke
match: ['alertname = "Poke"']
target: "api-{{labels.n}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
params:
  n: { from: "{{labels.n}}", pattern: '[0-9]+' }
steps:
  - name: poke
    http: { path: "/poke/{{params.n}}" }
`;

let redis: TestRedis;
let target: HttpTarget;
let web: TestService;
let worker: TestService;

beforeAll(async () => {
  [redis, target] = await Promise.all([startTestRedis(), startHttpTarget()]);
  // One target per alert, so the per-target lock does not serialize the runs this test spreads out.
  const entries = Array.from(
    { length: 40 },
    (_, n) => `  api-${n}: { http: { baseUrl: "${target.baseUrl}" } }`,
  );
  const inventory = `targets:\n${entries.join('\n')}\n`;
  // Both processes run workers on one Redis. The webhook process works one run at a time and every
  // call takes 200 ms, so it cannot take all 40 runs while the worker-only process is idle.
  target.respond(200, 'ok', {}, 200);
  web = await startTestService({
    runbooks: { 'poke.yaml': RUNBOOK },
    inventory,
    redis,
    env: { REMEDIATOR_CONCURRENCY: '1' },
  });
  worker = await startTestService({ runbooks: { 'poke.yaml': RUNBOOK }, inventory, redis, mode: 'worker' });
});

afterAll(async () => {
  await worker?.stop();
  await web?.stop();
  await target?.stop();
  await redis?.stop();
});

describe('remediator worker', () => {
  it('serves health and metrics but no webhook', async () => {
    expect((await worker.get('/healthz')).status).toBe(200);
    expect((await worker.get('/readyz')).status).toBe(200);
    expect((await worker.get('/metrics')).status).toBe(200);
    expect(
      (await worker.post('/hooks/alertmanager', payload([{ labels: { alertname: 'Poke' } }]))).status,
    ).toBe(404);
  });

  it('shares the runs queued by another process, each run once', async () => {
    const body = payload(
      Array.from({ length: 40 }, (_, n) => ({ labels: { alertname: 'Poke', n: String(n) } })),
    );
    expect((await web.post('/hooks/alertmanager', body)).status).toBe(202);
    const runs = await Promise.all(
      body.alerts.map((a) => web.waitForRun(runId('poke', a.fingerprint, a.startsAt))),
    );
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    const paths = target.requests.map((r) => r.url).sort();
    expect(paths).toEqual(body.alerts.map((_, n) => `/poke/${n}`).sort());
    const count = async (svc: TestService) => {
      const text = await (await svc.get('/metrics')).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('remediator_runs_total{runbook="poke",result="succeeded"}'));
      return Number(line?.split(' ')[1] ?? 0);
    };
    const [fromWeb, fromWorker] = [await count(web), await count(worker)];
    expect(fromWeb + fromWorker).toBe(40);
    expect(fromWorker).toBeGreaterThan(10);
  });
});
