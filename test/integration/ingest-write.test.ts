import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/config/runbooks.ts';
import { toNotification } from '../../src/ingest/alerts.ts';
import type { WebhookPayload } from '../../src/ingest/payload-schema.ts';
import { planRuns } from '../../src/ingest/plan.ts';
import { runId } from '../../src/ingest/run-id.ts';
import { buildRunbookIndex } from '../../src/match/select.ts';
import { createFairOrder } from '../../src/queue/fair.ts';
import { enqueueRuns, RUN_QUEUE, type ProducerDeps } from '../../src/queue/producer.ts';
import { createRunWriter } from '../../src/queue/run-writer.ts';
import { createMetrics } from '../../src/record/metrics.ts';
import { createRedisRunStore } from '../../src/record/runs-store.ts';
import { closeRedis, createRedis } from '../../src/redis/connect.ts';
import { payload } from '../harness/payloads.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

// The webhook's write: run records and their jobs in one transaction, alert values kept as data.
const parsed = parseRunbook(
  'rb.yaml',
  `name: rb
match: ['alertname = "Odd"']
target: '{{labels.instance}}'
steps:
  - name: s
    http: { path: /x }
`,
);
const rerunning = parseRunbook(
  'again.yaml',
  `name: again
match: ['alertname = "Again"']
target: '{{labels.instance}}'
policy: { cooldown: 10m, rerun: afterCooldown }
steps:
  - name: s
    http: { path: /x }
`,
);
const index = buildRunbookIndex([parsed.runbook!, rerunning.runbook!]);
const SOURCE = { receiver: 'r', groupKey: 'g', externalURL: 'http://am' };

let server: TestRedis;
let redis: Redis;
let queue: Queue<{ runId: string }>;
let deps: ProducerDeps;

beforeAll(async () => {
  server = await startTestRedis();
  redis = createRedis(server.url, 'worker', pino({ level: 'silent' }));
  queue = new Queue(RUN_QUEUE, { connection: redis, prefix: 'remediator' });
  const metrics = createMetrics(new Registry(), [parsed.runbook!, rerunning.runbook!]);
  deps = {
    queue,
    store: createRedisRunStore(redis, { prefix: 'remediator:' }),
    metrics,
    fair: createFairOrder(redis, 'remediator:'),
    writer: createRunWriter(queue, { prefix: 'remediator:', maxRuns: 10_000 }),
  };
});
afterAll(async () => {
  await queue?.close();
  if (redis) await closeRedis(redis);
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

const candidatesOf = (labels: Array<Record<string, string>>) =>
  planRuns(
    toNotification(payload(labels.map((l) => ({ labels: { alertname: 'Odd', ...l } }))) as WebhookPayload)
      .alerts,
    index,
  );

const HOSTILE = [
  `x'); redis.call('FLUSHALL') --`,
  'a"b\\c\n\r\t\u0000\u2028end',
  '$(reboot); rm -rf / `id`',
  'remediator:run:*',
  '{{labels.instance}} %s %n',
  '__proto__',
  'ü😀'.repeat(50),
  'k'.repeat(3000),
];

describe('records and jobs in one write', () => {
  it('keeps hostile label values exactly, as data: no key is named after them', async () => {
    const candidates = candidatesOf(HOSTILE.map((v, i) => ({ instance: `t${i}`, odd: v, [`l${i}`]: v })));
    expect(candidates).toHaveLength(HOSTILE.length);
    const result = await enqueueRuns(deps, SOURCE, candidates, new Date().toISOString());
    expect(result).toEqual({ queued: HOSTILE.length, duplicates: 0, failed: 0 });
    for (const c of candidates) {
      const run = await deps.store.get(c.runId);
      expect(run?.status).toBe('queued');
      expect(run?.alert.labels).toEqual(c.alert.labels);
      const job = await queue.getJob(c.runId);
      expect(job?.data).toEqual({ runId: c.runId });
      expect(job?.name).toBe('rb');
      expect(job?.opts.attempts).toBe(8);
      expect(job?.priority).toBeGreaterThan(0);
    }
    const keys = await redis.keys('*');
    for (const value of HOSTILE) expect(keys.filter((k) => k.includes(value))).toEqual([]);
    expect(await redis.dbsize()).toBeGreaterThan(0);
  });

  it('is all or nothing: a job BullMQ refuses leaves no run record either', async () => {
    const [c] = candidatesOf([{ instance: 't1' }]);
    const record = { ...(await recordOf(c!.runId)) };
    const refused = { name: 'rb', data: { runId: c!.runId }, opts: { jobId: c!.runId, priority: 3_000_000 } };
    await expect(deps.writer.write([record], [refused])).rejects.toThrow();
    expect(await deps.store.get(c!.runId)).toBeUndefined();
    expect(await queue.getJob(c!.runId)).toBeUndefined();
  });

  it('a re-sent notification writes no record again and takes no turn, for runs still queued or started', async () => {
    const [first, second] = candidatesOf([{ instance: 't1' }, { instance: 't2' }]);
    const at = new Date().toISOString();
    await enqueueRuns(deps, SOURCE, [first!, second!], at);
    await deps.store.update(first!.runId, (run) => ({ ...run, status: 'succeeded' }));
    // Alertmanager re-sends a group every group_interval: a storm's waiting runs come back each time.
    for (let i = 0; i < 5; i++) {
      const again = await enqueueRuns(deps, SOURCE, [first!, second!], at);
      expect(again).toEqual({ queued: 0, duplicates: 2, failed: 0 });
    }
    expect((await queue.getJob(second!.runId))?.priority).toBe(2);
    // Neither the ended run nor the still queued one moved the runbook's count: the next run is third.
    const [third] = candidatesOf([{ instance: 't3' }]);
    await enqueueRuns(deps, SOURCE, [third!], at);
    expect((await queue.getJob(third!.runId))?.priority).toBe(3);
  });

  it("a still queued run whose job is missing gets it back at its runbook's current turn", async () => {
    const [first, second] = candidatesOf([{ instance: 't1' }, { instance: 't2' }]);
    const at = new Date().toISOString();
    await enqueueRuns(deps, SOURCE, [first!, second!], at);
    await (await queue.getJob(first!.runId))!.remove();
    await enqueueRuns(deps, SOURCE, [first!], at);
    expect((await queue.getJob(first!.runId))?.priority).toBe(2);
  });
});

describe('re-runs (rerun: afterCooldown)', () => {
  it('an ended occurrence sent again gets one more run per cooldown period, queued with a turn', async () => {
    const [c] = planRuns(
      toNotification(payload([{ labels: { alertname: 'Again', instance: 't1' } }]) as WebhookPayload).alerts,
      index,
    );
    const at = new Date().toISOString();
    expect(await enqueueRuns(deps, SOURCE, [c!], at)).toEqual({ queued: 1, duplicates: 0, failed: 0 });
    // Still queued: a re-send is a duplicate, not a re-run.
    expect(await enqueueRuns(deps, SOURCE, [c!], at)).toEqual({ queued: 0, duplicates: 1, failed: 0 });
    await deps.store.update(c!.runId, (run) => ({ ...run, status: 'succeeded' }));
    expect(await enqueueRuns(deps, SOURCE, [c!], at)).toEqual({ queued: 1, duplicates: 1, failed: 0 });
    const period = Math.floor(Date.parse(at) / 600_000);
    const rerun = runId('again', c!.alert.fingerprint, `${c!.alert.startsAt}#${period}`);
    expect(await deps.store.get(rerun)).toMatchObject({ status: 'queued', rerunOf: c!.runId });
    expect((await queue.getJob(rerun))?.priority).toBeGreaterThan(0);
    // The same period again: the re-run exists, nothing new.
    expect(await enqueueRuns(deps, SOURCE, [c!], at)).toEqual({ queued: 0, duplicates: 2, failed: 0 });
  });
});

async function recordOf(id: string) {
  const [c] = candidatesOf([{ instance: 't1' }]);
  return {
    id,
    runbook: 'rb',
    target: 't1',
    status: 'queued' as const,
    alert: c!.alert,
    source: SOURCE,
    receivedAt: new Date().toISOString(),
    steps: [],
  };
}
