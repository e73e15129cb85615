import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

let target: HttpTarget;
let svc: TestService;
let escalations: HttpTarget;

beforeAll(async () => {
  [target, escalations] = await Promise.all([startHttpTarget(), startHttpTarget()]);
  svc = await startTestService({
    runbooks: {
      'undrain.yaml': `name: undrain
match: ['alertname = "Drained"']
on: resolved
target: api
steps:
  - name: undrain
    http: { path: /undrain }
`,
      'nowhere.yaml': `name: nowhere
match: ['alertname = "Nowhere"']
target: "{{labels.instance}}"
steps:
  - name: s
    http: { path: /x }
`,
    },
    inventory: `targets:\n  api: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    env: { REMEDIATOR_ESCALATION_WEBHOOKS: `${escalations.baseUrl}/hook` },
  });
});
afterAll(async () => {
  await svc?.stop();
  await Promise.all([target?.stop(), escalations?.stop()]);
});

describe('runbooks `on: resolved`', () => {
  it('act when the alert resolves (the resolved mark does not stop them)', async () => {
    const body = payload([{ labels: { alertname: 'Drained' }, status: 'resolved' }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const a = body.alerts[0]!;
    expect(await svc.waitForRun(runId('undrain', a.fingerprint, a.startsAt))).toMatchObject({
      status: 'succeeded',
    });
    expect(target.requests.map((r) => r.url)).toContain('/undrain');
  });
});

describe('a firing alert left unhandled before any step ran', () => {
  it('pages a human (unknown target), without counting against the breaker', async () => {
    const body = payload([{ labels: { alertname: 'Nowhere', instance: 'ghost:1' } }]);
    await svc.post('/hooks/alertmanager', body);
    const a = body.alerts[0]!;
    const run = await svc.waitForRun(runId('nowhere', a.fingerprint, a.startsAt));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNKNOWN_TARGET' });
    expect(run.escalations).toEqual([expect.objectContaining({ ok: true })]);
    expect(JSON.parse(escalations.requests.at(-1)!.body)).toMatchObject({
      runId: run.id,
      reason: 'E_UNKNOWN_TARGET',
    });
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toContain('remediator_circuit_state{runbook="nowhere",state="closed"} 1');
  });
});
