import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { httpInventory, metricValue, refusals } from '../harness/policy-checks.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { overlapping, startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

// Limits high enough that only the policy under test is in play.
const OPEN = 'cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50';

const RUNBOOKS = {
  'once.yaml': `
name: once
match: ['alertname = "Once"']
target: "{{labels.instance}}"
policy: { ${OPEN}, group: '' }
steps:
  - name: poke
    http: { path: "/once/{{alert.fingerprint}}", timeout: 5s }
`,
  'locked.yaml': `
name: locked
match: ['alertname = "Locked"']
target: shared-db
policy: { ${OPEN}, group: '' }
steps:
  - name: vacuum
    http: { path: "/locked/{{alert.fingerprint}}", timeout: 5s }
`,
  // No group given: it defaults to the service label.
  'storm.yaml': `
name: storm
match: ['alertname = "Storm"']
target: "{{labels.instance}}"
policy: { ${OPEN}, groupConcurrency: 2 }
steps:
  - name: restart
    http: { path: "/restart/{{target}}", timeout: 5s }
`,
};

const CAPPED = `
name: capped
match: ['alertname = "Capped"']
target: "{{labels.instance}}"
policy: { ${OPEN}, group: '' }
steps:
  - name: restart
    http: { path: "/capped/{{target}}", timeout: 5s }
`;

const STORM_SIZE = 20;
const CAPPED_SIZE = 9;

let redis: TestRedis;
let onceTarget: TimedTarget;
let lockTarget: TimedTarget;
let stormTarget: TimedTarget;
let capTarget: TimedTarget;
let web1: TestService;
let web2: TestService;
let capped: TestService;

beforeAll(async () => {
  [redis, onceTarget, lockTarget, stormTarget, capTarget] = await Promise.all([
    startTestRedis(),
    startTimedTarget(),
    startTimedTarget(),
    startTimedTarget(),
    startTimedTarget(),
  ]);
  const shared = httpInventory({
    [onceTarget.baseUrl]: ['once-1', 'once-2', 'once-3'],
    [lockTarget.baseUrl]: ['shared-db'],
    [stormTarget.baseUrl]: Array.from({ length: STORM_SIZE }, (_, n) => `app-${n}`),
  });
  // Two processes' worth of webhook and worker on one Redis; enough worker slots that the policy,
  // not the worker, is what limits concurrency.
  const env = { REMEDIATOR_CONCURRENCY: '12' };
  [web1, web2, capped] = await Promise.all([
    startTestService({ runbooks: RUNBOOKS, inventory: shared, redis, env }),
    startTestService({ runbooks: RUNBOOKS, inventory: shared, redis, env }),
    startTestService({
      runbooks: { 'capped.yaml': CAPPED },
      inventory: httpInventory({
        [capTarget.baseUrl]: Array.from({ length: CAPPED_SIZE }, (_, n) => `cap-${n}`),
      }),
      env: { REMEDIATOR_CONCURRENCY: '12', REMEDIATOR_MAX_IN_FLIGHT: '3' },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([web1?.stop(), web2?.stop(), capped?.stop()]);
  await Promise.all([onceTarget, lockTarget, stormTarget, capTarget].map((t) => t?.stop()));
  await redis?.stop();
});

async function metrics(svc: TestService): Promise<string> {
  return (await svc.get('/metrics')).text();
}

function ids(runbook: string, body: ReturnType<typeof payload>): string[] {
  return body.alerts.map((a) => runId(runbook, a.fingerprint, a.startsAt));
}

describe('two app instances on one Redis', () => {
  it('makes exactly one run per (runbook, alert occurrence) out of 50 concurrent deliveries', async () => {
    onceTarget.respond(200, 300);
    const body = payload([1, 2, 3].map((n) => ({ labels: { alertname: 'Once', instance: `once-${n}` } })));
    // Alertmanager retries and HA peers' copies (which differ in externalURL), half to each instance.
    const deliveries = Array.from({ length: 50 }, (_, i) => {
      const copy = i % 4 < 2 ? body : { ...body, externalURL: `http://alertmanager-${i}.example:9093` };
      return (i % 2 === 0 ? web1 : web2).post('/hooks/alertmanager', copy);
    });
    const statuses = (await Promise.all(deliveries)).map((r) => r.status);
    expect(statuses).toEqual(Array(50).fill(202));

    const runs = await Promise.all(ids('once', body).map((id) => web1.waitForRun(id)));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const listed = (await (await web2.get('/api/v1/runs?runbook=once')).json()) as { runs: RunRecord[] };
    expect(listed.runs.map((r) => r.id).sort()).toEqual(ids('once', body).sort());

    const paths = onceTarget.requests.map((r) => r.url).sort();
    expect(paths).toEqual(body.alerts.map((a) => `/once/${a.fingerprint}`).sort());
    // Each process counts what it decided: together, 3 queued and 147 duplicates.
    const [m1, m2] = await Promise.all([metrics(web1), metrics(web2)]);
    const sum = (series: string) => metricValue(m1, series) + metricValue(m2, series);
    expect(sum('remediator_alerts_matched_total{runbook="once",outcome="queued"}')).toBe(3);
    expect(sum('remediator_alerts_matched_total{runbook="once",outcome="duplicate"}')).toBe(147);
    expect(sum('remediator_runs_total{runbook="once",result="succeeded"}')).toBe(3);
  });

  it('never lets two runs act on one target at once', async () => {
    lockTarget.respond(200, 400);
    const bodies = Array.from({ length: 5 }, () =>
      payload([{ labels: { alertname: 'Locked', instance: 'db-1:9187' } }]),
    );
    const answers = await Promise.all(
      bodies.map((b, i) => (i % 2 === 0 ? web1 : web2).post('/hooks/alertmanager', b)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(202));
    const runIds = bodies.flatMap((b) => ids('locked', b));
    const runs = await Promise.all(runIds.map((id) => web1.waitForRun(id)));

    expect(runs.map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
    expect(lockTarget.requests).toHaveLength(5);
    expect(lockTarget.requests.every((r) => r.end !== undefined)).toBe(true);
    expect(overlapping(lockTarget.requests)).toEqual([]);
    expect(lockTarget.maxInFlight()).toBe(1);
    // The runs that arrived while another acted waited for the lock (and nothing else); each holder
    // had its own fencing number.
    const waits = runs.flatMap(refusals);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    for (const d of waits)
      expect(d).toMatchObject({ stage: 'admission', decision: 'wait', reason: 'target_busy' });
    expect(new Set(runs.map((r) => r.fence)).size).toBe(5);
  });
});

describe('progressive healing and blast radius', () => {
  it('heals a storm of 20 instances of one service two at a time', async () => {
    stormTarget.respond(200, 500);
    const body = payload(
      Array.from({ length: STORM_SIZE }, (_, n) => ({
        labels: { alertname: 'Storm', service: 'user-service', instance: `app-${n}` },
      })),
    );
    expect((await web1.post('/hooks/alertmanager', body)).status).toBe(202);
    const runs = await Promise.all(ids('storm', body).map((id) => web2.waitForRun(id, 25_000)));

    expect(runs.map((r) => r.status)).toEqual(Array(STORM_SIZE).fill('succeeded'));
    expect(stormTarget.requests.map((r) => r.url).sort()).toEqual(
      body.alerts.map((a) => `/restart/${a.labels['instance']}`).sort(),
    );
    expect(stormTarget.maxInFlight()).toBe(2);
    expect(runs.every((r) => r.group === 'user-service')).toBe(true);
    const waited = runs.filter((r) => refusals(r).length > 0);
    expect(waited.length).toBeGreaterThanOrEqual(STORM_SIZE - 2);
    for (const run of waited) {
      expect(refusals(run)).toEqual([
        expect.objectContaining({
          stage: 'admission',
          decision: 'wait',
          reason: 'group_busy',
          detail: 'waiting: another target of this group is being healed',
        }),
      ]);
    }
  }, 30_000);

  it('keeps at most REMEDIATOR_MAX_IN_FLIGHT runs acting at once, over every group', async () => {
    capTarget.respond(200, 500);
    const body = payload(
      Array.from({ length: CAPPED_SIZE }, (_, n) => ({
        labels: { alertname: 'Capped', instance: `cap-${n}` },
      })),
    );
    expect((await capped.post('/hooks/alertmanager', body)).status).toBe(202);
    const runs = await Promise.all(ids('capped', body).map((id) => capped.waitForRun(id)));

    expect(runs.map((r) => r.status)).toEqual(Array(CAPPED_SIZE).fill('succeeded'));
    expect(capTarget.requests).toHaveLength(CAPPED_SIZE);
    expect(capTarget.maxInFlight()).toBe(3);
    const waited = runs.filter((r) => refusals(r).length > 0);
    expect(waited.length).toBeGreaterThanOrEqual(CAPPED_SIZE - 3);
    for (const run of waited) {
      expect(refusals(run)).toEqual([
        expect.objectContaining({ stage: 'admission', decision: 'wait', reason: 'blast_radius' }),
      ]);
    }
  });
});
