import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { httpInventory, metricValue, sleep } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const RUNBOOKS = {
  'surge.yaml': `
name: surge
match: ['alertname = "Surge"']
target: "{{labels.instance}}"
policy:
  cooldown: 0s
  maxRuns: 1000 per 1h
  maxRunsPerTarget: 1000 per 1h
  group: ''
  storm: 5 per 1m
steps:
  - name: poke
    http: { path: "/poke/{{target}}" }
`,
};

const TARGETS = Array.from({ length: 30 }, (_, i) => `s-${i + 1}`);

let target: HttpTarget;
let pager: HttpTarget;
let svc: TestService;

beforeAll(async () => {
  [target, pager] = await Promise.all([startHttpTarget(), startHttpTarget()]);
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: httpInventory({ [target.baseUrl]: TARGETS }),
    // One run at a time: the order runs reach the gate is the order they arrived.
    env: { REMEDIATOR_ESCALATION_WEBHOOKS: `${pager.baseUrl}/page`, REMEDIATOR_CONCURRENCY: '1' },
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([target?.stop(), pager?.stop()]);
});

describe('storm guard', () => {
  it('refuses the excess at once with `storm`, keeps the first runs in order, and pages once', async () => {
    const body = payload(TARGETS.map((t) => ({ labels: { alertname: 'Surge', instance: t } })));
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const ids = body.alerts.map((a) => runId('surge', a.fingerprint, a.startsAt));
    const runs = [];
    for (const id of ids) runs.push(await svc.waitForRun(id));
    // The first five arrivals act, in their order; every later one is refused, none waits.
    expect(runs.slice(0, 5).map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
    expect(target.requests.map((r) => r.url)).toEqual(TARGETS.slice(0, 5).map((t) => `/poke/${t}`));
    for (const run of runs.slice(5)) {
      expect(run).toMatchObject({ status: 'skipped', reason: 'storm' });
      expect(run.decisions).toContainEqual(expect.objectContaining({ stage: 'storm', decision: 'refuse' }));
    }
    // One page for the storm, with its summary; give any further (wrong) ones time to arrive.
    await sleep(1000);
    expect(pager.requests).toHaveLength(1);
    const page = JSON.parse(pager.requests[0]!.body) as { reason: string; message: string; runId: string };
    expect(page.runId).toBe(ids[5]);
    expect(page.reason).toBe('storm');
    expect(page.message).toBe(
      'storm: 6 runs of this runbook arrived within 1m (limit 5); runs beyond the limit are refused and ' +
        `paged once per storm; targets: ${TARGETS.slice(0, 6).join(', ')}`,
    );
    const metrics = await (await svc.get('/metrics')).text();
    const refused = 'remediator_policy_decisions_total{stage="storm",decision="refuse",reason="storm"}';
    expect(metricValue(metrics, refused)).toBe(25);
    expect(metricValue(metrics, 'remediator_run_failures_total{runbook="surge",reason="storm"}')).toBe(25);
  }, 60_000);
});
