import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/types.ts';
import { fire, httpInventory, sleep, waitForRecord } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

const TOKEN = 'op-token';
const POLICY = `policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', maxWait: 10m }`;
const RUNBOOKS = {
  // The restart needs a human; the gentle step before it runs unattended.
  'ladder.yaml': `
name: ladder
match: ['alertname = "Ladder"']
target: "{{labels.instance}}"
${POLICY}
steps:
  - name: gentle
    http: { path: "/gentle/{{alert.fingerprint}}", timeout: 10s }
  - name: restart
    approval: { labels: ['role = "primary"'] }
    http: { path: "/restart/{{alert.fingerprint}}", timeout: 10s }
`,
  'slow.yaml': `
name: slow
match: ['alertname = "Slow"']
target: "{{labels.instance}}"
${POLICY}
steps:
  - name: poke
    http: { path: "/slow/{{alert.fingerprint}}", timeout: 10s }
`,
};

let target: TimedTarget;
let svc: TestService;
let redis: Redis;

beforeAll(async () => {
  target = await startTimedTarget();
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: httpInventory({ [target.baseUrl]: ['p-1'] }),
    // No safety sweep: a waiting run can only start if the freed lock wakes it.
    env: { REMEDIATOR_WAIT_POLL: 'off', REMEDIATOR_OPERATOR_TOKEN: TOKEN },
  });
  redis = new Redis(svc.redis.url);
});

afterAll(async () => {
  await redis?.quit();
  await svc?.stop();
  await target?.stop();
});

/** When the run's delayed job is due (ms), once it is in the delayed set. */
async function dueAt(id: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const score = await redis.zscore('remediator:runs:delayed', id);
    if (score !== null) return Math.floor(Number(score) / 0x1000);
    if (Date.now() > deadline) throw new Error(`run ${id} was not parked within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('a run approved while its target is busy', () => {
  it('parks until the holder releases the target, then starts without a poll', async () => {
    target.respond(200, 2500);
    const ladder = await fire(svc, 'ladder', {
      labels: { alertname: 'Ladder', instance: 'p-1', role: 'primary' },
    });
    await waitForRecord(svc, ladder.id, (r) => r.status === 'awaiting_approval');
    const slow = await fire(svc, 'slow', { labels: { alertname: 'Slow', instance: 'p-1' } });
    await waitForRecord(svc, slow.id, (r) => r.status === 'running');
    const waiting = (await (await svc.get(`/api/v1/runs/${ladder.id}`)).json()) as RunRecord;
    const requestId = waiting.approvals!.at(-1)!.id;
    const answered = await svc.post(
      `/api/v1/runs/${ladder.id}/approve`,
      { requestId, by: 'ann' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(answered.status).toBe(200);
    // Parked: its job is due at the slow safety recheck (a minute), not in a second.
    expect(await dueAt(ladder.id)).toBeGreaterThan(Date.now() + 30_000);
    const s = await svc.waitForRun(slow.id);
    const l = await svc.waitForRun(ladder.id, 30_000);
    expect([s.status, l.status]).toEqual(['succeeded', 'succeeded']);
    // Woken by the release: the restart started after the slow run ended, long before the recheck.
    const restart = l.steps.find((step) => step.name === 'restart')!;
    expect(Date.parse(restart.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s.finishedAt!));
    expect(Date.parse(restart.startedAt!) - Date.parse(s.finishedAt!)).toBeLessThan(20_000);
  }, 60_000);
});
