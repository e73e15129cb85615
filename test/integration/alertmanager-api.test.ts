import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startAlertmanager, type TestAlertmanager } from '../harness/alertmanager.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

/** remediator against a real Alertmanager 0.25: silences honoured, and its API answering "still firing?". */
let am: TestAlertmanager;
let target: HttpTarget;
let svc: TestService;

const RELAX = "policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }";
const RUNBOOKS = {
  'poke.yaml': `name: poke\nmatch: ['alertname = "Poke"']\ntarget: api\n${RELAX}\nsteps:\n  - name: poke\n    http: { path: /poke }\n`,
  'wait.yaml': `name: wait-resolve
match: ['alertname = "WaitResolve"']
target: api
${RELAX}
steps:
  - name: poke
    http: { path: /fix }
    verify: { alertResolved: 8s }
`,
};

beforeAll(async () => {
  [am, target] = await Promise.all([startAlertmanager(), startHttpTarget()]);
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: `targets:\n  api: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    env: { REMEDIATOR_HONOUR_SILENCES: 'true', REMEDIATOR_ALERTMANAGER_URL: am.url },
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([am?.stop(), target?.stop()]);
});

async function amApi(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${am.url}/api/v2${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.ok, `${method} ${path} -> ${res.status}`).toBe(true);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

describe('Alertmanager silences (REMEDIATOR_HONOUR_SILENCES)', () => {
  it('treats an alert an active silence matches as paused, and runs the others', async () => {
    const now = Date.now();
    const { silenceID } = (await amApi('POST', '/silences', {
      matchers: [{ name: 'service', value: 'user-.*', isRegex: true, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3600_000).toISOString(),
      createdBy: 'test',
      comment: 'maintenance',
    })) as { silenceID: string };
    const silenced = payload([{ labels: { alertname: 'Poke', service: 'user-service' } }]);
    const other = payload([{ labels: { alertname: 'Poke', service: 'order-service' } }]);
    await svc.post('/hooks/alertmanager', silenced);
    await svc.post('/hooks/alertmanager', other);
    const a = silenced.alerts[0]!;
    const b = other.alerts[0]!;
    const skipped = await svc.waitForRun(runId('poke', a.fingerprint, a.startsAt));
    expect(skipped).toMatchObject({
      status: 'skipped',
      reason: 'paused',
      message: `Alertmanager silence ${silenceID}`,
    });
    expect((await svc.waitForRun(runId('poke', b.fingerprint, b.startsAt))).status).toBe('succeeded');
    expect(target.requests.filter((r) => r.url === '/poke')).toHaveLength(1);
  });
});

describe('verify: alertResolved asks Alertmanager', () => {
  it('passes once Alertmanager no longer lists the alert as active, without a resolved notification', async () => {
    const labels = { alertname: 'WaitResolve', instance: `i-${Date.now()}` };
    const startsAt = new Date().toISOString();
    await amApi('POST', '/alerts', [{ labels, startsAt }]);
    const active = (await amApi('GET', `/alerts?filter=instance%3D%22${labels.instance}%22`)) as Array<{
      fingerprint: string;
    }>;
    const fingerprint = active[0]!.fingerprint;
    const body = payload([{ labels, fingerprint, startsAt }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const id = runId('wait-resolve', fingerprint, startsAt);
    // Once the step has run, resolve the alert in Alertmanager only (endsAt now).
    for (let i = 0; i < 100 && !target.requests.some((r) => r.url === '/fix'); i++)
      await new Promise((r) => setTimeout(r, 50));
    await amApi('POST', '/alerts', [{ labels, startsAt, endsAt: new Date().toISOString() }]);
    const run = await svc.waitForRun(id, 15_000);
    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(run.steps[0]!.verify).toMatchObject({ kind: 'alertResolved', ok: true });
  });
});
