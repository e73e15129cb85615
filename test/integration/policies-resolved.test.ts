import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, type AlertInput } from '../harness/payloads.ts';
import {
  fire,
  httpInventory,
  metricValue,
  refusals,
  sleep,
  waitForRecord,
} from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

const RUNBOOK = `
name: slow
match: ['alertname = "Slow"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: poke
    http: { path: "/slow/{{alert.fingerprint}}", timeout: 5s }
`;

let target: TimedTarget;
let svc: TestService;

beforeAll(async () => {
  target = await startTimedTarget();
  svc = await startTestService({
    runbooks: { 'slow.yaml': RUNBOOK },
    inventory: httpInventory({ [target.baseUrl]: ['host-1', 'host-2'] }),
  });
});

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

/** How many requests the target got whose path contains `text`. */
const calls = (text: string) => target.requests.filter((r) => r.url.includes(text)).length;

describe('a resolved alert', () => {
  it('cancels its run while the run waits for the target lock; the target is never called for it', async () => {
    target.respond(200, 1500);
    const holder = await fire(svc, 'slow', { labels: { alertname: 'Slow', instance: 'host-1' } });
    await waitForRecord(svc, holder.id, (r) => r.status === 'running');
    const waiting = await fire(svc, 'slow', { labels: { alertname: 'Slow', instance: 'host-1' } });
    const queued = await waitForRecord(svc, waiting.id, (r) => refusals(r).length > 0);
    expect(queued.status).toBe('queued');
    expect(refusals(queued)).toEqual([
      expect.objectContaining({ stage: 'admission', decision: 'wait', reason: 'target_busy' }),
    ]);

    const resolved: AlertInput = { ...waiting.alert, status: 'resolved' };
    const answer = await svc.post('/hooks/alertmanager', payload([resolved]));
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ matched: 0, cancelled: 1 });
    const cancelled = await svc.waitForRun(waiting.id);
    expect(cancelled).toMatchObject({ status: 'skipped', reason: 'resolved' });
    expect(cancelled.steps).toEqual([]);

    expect((await svc.waitForRun(holder.id)).status).toBe('succeeded');
    // Past the next poll of the waiting run, had it still been queued.
    await sleep(1300);
    expect(calls(holder.alert.fingerprint)).toBe(1);
    expect(calls(waiting.alert.fingerprint)).toBe(0);
    expect((await svc.waitForRun(waiting.id)).status).toBe('skipped');
  });

  it('makes a later firing copy of the same occurrence start nothing', async () => {
    target.respond(200);
    const alert: AlertInput = {
      labels: { alertname: 'Slow', instance: 'host-2' },
      fingerprint: 'f00dfeed00000001',
      startsAt: '2026-11-21T09:00:00.000Z',
    };
    expect((await svc.post('/hooks/alertmanager', payload([{ ...alert, status: 'resolved' }]))).status).toBe(
      202,
    );
    const late = await fire(svc, 'slow', alert);
    const run = await svc.waitForRun(late.id);
    expect(run).toMatchObject({ status: 'skipped', reason: 'resolved' });
    expect(refusals(run)).toEqual([
      expect.objectContaining({ stage: 'resolved', decision: 'skip', reason: 'resolved' }),
    ]);
    expect(run.steps).toEqual([]);
    expect(calls(alert.fingerprint!)).toBe(0);
  });

  it('counts both runs the resolution ended as skipped, with reason resolved', async () => {
    const text = await (await svc.get('/metrics')).text();
    expect(metricValue(text, 'remediator_runs_total{runbook="slow",result="skipped"}')).toBe(2);
    // The cancelled run is counted by reason like every other run that did not succeed.
    expect(metricValue(text, 'remediator_run_failures_total{runbook="slow",reason="resolved"}')).toBe(2);
  });
});
