import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { payload } from '../harness/payloads.ts';
import { httpInventory, fire } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

const POLICY = `policy: { cooldown: 0s, maxRuns: 100000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', storm: 'off' }`;
const RUNBOOKS = {
  'busy.yaml': `
name: busy
match: ['alertname = "Busy"']
target: "{{labels.instance}}"
${POLICY}
steps:
  - name: poke
    http: { path: "/busy/{{alert.fingerprint}}" }
`,
  'quiet.yaml': `
name: quiet
match: ['alertname = "Quiet"']
target: "{{labels.instance}}"
${POLICY}
steps:
  - name: poke
    http: { path: "/quiet/{{alert.fingerprint}}" }
`,
};

const BACKLOG = 300;
const TARGETS = Array.from({ length: 50 }, (_, i) => `f-${i}`);

let target: TimedTarget;
let svc: TestService;

beforeAll(async () => {
  target = await startTimedTarget();
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: httpInventory({ [target.baseUrl]: [...TARGETS, 'quiet-1'] }),
    // One run at a time: the order runs start in is the order the queue hands them out.
    env: { REMEDIATOR_CONCURRENCY: '1' },
  });
});

afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

describe('fair turns', () => {
  it("starts another runbook's fresh alert before one runbook's backlog drains", async () => {
    target.respond(200, 10);
    const body = payload(
      Array.from({ length: BACKLOG }, (_, i) => ({
        labels: { alertname: 'Busy', instance: TARGETS[i % TARGETS.length]!, n: String(i) },
      })),
    );
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const quiet = await fire(svc, 'quiet', { labels: { alertname: 'Quiet', instance: 'quiet-1' } });
    const busyIds = body.alerts.map((a) => runId('busy', a.fingerprint, a.startsAt));
    const q = await svc.waitForRun(quiet.id, 60_000);
    expect(q.status).toBe('succeeded');
    const busy = [];
    for (const id of busyIds) busy.push(await svc.waitForRun(id, 120_000));
    const startedBefore = busy.filter((r) => Date.parse(r.startedAt!) < Date.parse(q.startedAt!)).length;
    // First come, first served, it would start after all 300; with fair turns, after a few.
    expect(startedBefore).toBeLessThan(BACKLOG / 10);
    // The backlog itself kept its order.
    const starts = busy.map((r) => Date.parse(r.startedAt!));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  }, 180_000);
});
