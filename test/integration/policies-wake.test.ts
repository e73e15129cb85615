import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpInventory, fire, sleep, waitForRecord } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

const RUNBOOKS = {
  'slow.yaml': `
name: slow
match: ['alertname = "Slow"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', maxWait: 10m }
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
    inventory: httpInventory({ [target.baseUrl]: ['w-1'] }),
    // No safety sweep: a waiting run can only start if the freed lock wakes it.
    env: { REMEDIATOR_WAIT_POLL: 'off' },
  });
  redis = new Redis(svc.redis.url);
});

afterAll(async () => {
  await redis?.quit();
  await svc?.stop();
  await target?.stop();
});

describe('waiting without polling', () => {
  it('parks a run blocked by the target lock until its deadline, and wakes it when the lock is freed', async () => {
    target.respond(200, 1500);
    const first = await fire(svc, 'slow', { labels: { alertname: 'Slow', instance: 'w-1' } });
    await waitForRecord(svc, first.id, (r) => r.status === 'running');
    const second = await fire(svc, 'slow', { labels: { alertname: 'Slow', instance: 'w-1' } });
    await waitForRecord(svc, second.id, (r) => (r.decisions ?? []).some((d) => d.reason === 'target_busy'));
    await sleep(200);
    // Parked: its job is due at the slow safety recheck (a minute), not in a second.
    const score = Number(await redis.zscore('remediator:runs:delayed', second.id));
    expect(Math.floor(score / 0x1000)).toBeGreaterThan(Date.now() + 30_000);
    const [a, b] = [await svc.waitForRun(first.id), await svc.waitForRun(second.id)];
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    // Woken by the release: it started right after the first run ended, not at its deadline.
    expect(Date.parse(b.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt!));
    expect(Date.parse(b.startedAt!) - Date.parse(a.finishedAt!)).toBeLessThan(20_000);
  }, 30_000);
});
