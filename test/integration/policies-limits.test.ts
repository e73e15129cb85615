import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { payload } from '../harness/payloads.ts';
import { fire, httpInventory, metricValue, refusals, sleep } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startTimedTarget, type TimedTarget } from '../harness/timed-target.ts';

const RUNBOOKS = {
  'flaky.yaml': `
name: flaky
match: ['alertname = "Flaky"']
target: "{{labels.instance}}"
policy:
  cooldown: 0s
  maxRuns: 1000 per 1h
  maxRunsPerTarget: 1000 per 1h
  maxInFlight: 50
  group: ''
  breaker: { failures: 2, within: 10m, coolOff: 2s }
steps:
  - name: poke
    http: { path: "/flaky/{{alert.fingerprint}}", timeout: 5s }
`,
  'cool.yaml': `
name: cool
match: ['alertname = "Cool"']
target: "{{labels.instance}}"
policy: { cooldown: 2s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: poke
    http: { path: "/cool/{{target}}/{{alert.fingerprint}}" }
`,
  'rated.yaml': `
name: rated
match: ['alertname = "Rated"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 2 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: poke
    http: { path: "/rated/{{target}}/{{alert.fingerprint}}" }
`,
};

let flakyTarget: TimedTarget;
let okTarget: TimedTarget;
let pager: HttpTarget;
let svc: TestService;

beforeAll(async () => {
  [flakyTarget, okTarget, pager] = await Promise.all([
    startTimedTarget(),
    startTimedTarget(),
    startHttpTarget(),
  ]);
  svc = await startTestService({
    runbooks: RUNBOOKS,
    inventory: httpInventory({
      [flakyTarget.baseUrl]: ['flaky-1', 'flaky-2'],
      [okTarget.baseUrl]: ['cool-1', 'cool-2', 'rate-1', 'rate-2'],
    }),
    env: { REMEDIATOR_ESCALATION_WEBHOOKS: `${pager.baseUrl}/page` },
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([flakyTarget?.stop(), okTarget?.stop(), pager?.stop()]);
});

async function circuit(): Promise<Record<string, number>> {
  const text = await (await svc.get('/metrics')).text();
  const state = (s: string) => metricValue(text, `remediator_circuit_state{runbook="flaky",state="${s}"}`);
  return { closed: state('closed'), open: state('open'), half_open: state('half_open') };
}

async function runOnce(runbook: string, labels: Record<string, string>) {
  const { id } = await fire(svc, runbook, { labels });
  return svc.waitForRun(id);
}

describe('circuit breaker', () => {
  it('opens after 2 failures, refuses and escalates, lets one trial through after the cool-off, closes on its success', async () => {
    flakyTarget.respond(500, 0, 'boom');
    pager.respond(200, '{}');
    expect(await circuit()).toEqual({ closed: 1, open: 0, half_open: 0 });
    const flaky = { alertname: 'Flaky', instance: 'flaky-1' };
    const first = await runOnce('flaky', flaky);
    const second = await runOnce('flaky', flaky);
    expect([first, second].map((r) => [r.status, r.reason])).toEqual([
      ['failed', 'E_STATUS'],
      ['failed', 'E_STATUS'],
    ]);
    expect(await circuit()).toEqual({ closed: 0, open: 1, half_open: 0 });

    const refused = await runOnce('flaky', flaky);
    expect(refused).toMatchObject({ status: 'skipped', reason: 'circuit_open' });
    expect(refused.steps).toEqual([]);
    expect(refusals(refused)).toEqual([
      expect.objectContaining({
        stage: 'breaker',
        decision: 'refuse',
        reason: 'circuit_open',
        detail: 'runbook failed 2 times within its window; cooling off',
      }),
    ]);
    expect(flakyTarget.requests).toHaveLength(2);
    expect(refused.escalations).toEqual([expect.objectContaining({ ok: true, status: 200, attempts: 1 })]);
    const page = pager.requests.map((r) => JSON.parse(r.body)).find((b) => b.runId === refused.id);
    expect(page).toMatchObject({
      version: '1',
      kind: 'remediator.escalation',
      runbook: 'flaky',
      target: 'flaky-1',
      status: 'skipped',
      reason: 'circuit_open',
      alert: { labels: flaky, fingerprint: refused.alert.fingerprint },
      steps: [],
    });
    expect(page.decisions).toContainEqual({ stage: 'breaker', decision: 'refuse', reason: 'circuit_open' });
    expect(pager.requests.at(-1)!.headers['content-type']).toMatch(/^application\/json/);

    // The breaker opened when the second run ended; 2 s later it is half-open.
    await sleep(Date.parse(second.finishedAt!) + 2000 + 100 - Date.now());
    expect(await circuit()).toEqual({ closed: 0, open: 0, half_open: 1 });
    flakyTarget.respond(200, 600);
    const both = payload([
      { labels: { alertname: 'Flaky', instance: 'flaky-1' } },
      { labels: { alertname: 'Flaky', instance: 'flaky-2' } },
    ]);
    expect((await svc.post('/hooks/alertmanager', both)).status).toBe(202);
    const pair = await Promise.all(
      both.alerts.map((a) => svc.waitForRun(runId('flaky', a.fingerprint, a.startsAt))),
    );
    const trial = pair.find((r) => r.status === 'succeeded');
    const other = pair.find((r) => r.status !== 'succeeded');
    expect(trial).toBeDefined();
    // The record says which run was the trial (soft: the checks after it still run if it fails).
    expect
      .soft(trial!.decisions)
      .toContainEqual(
        expect.objectContaining({ stage: 'breaker', decision: 'allow', detail: 'trial run (half-open)' }),
      );
    expect(other).toMatchObject({ status: 'skipped', reason: 'circuit_open' });
    expect(refusals(other!)).toEqual([
      expect.objectContaining({
        stage: 'breaker',
        decision: 'refuse',
        reason: 'circuit_open',
        detail: 'half-open: another run is the trial',
      }),
    ]);
    expect(flakyTarget.requests).toHaveLength(3);
    expect(await circuit()).toEqual({ closed: 1, open: 0, half_open: 0 });

    const after = await runOnce('flaky', flaky);
    expect(after).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(refusals(after)).toEqual([]);
    expect(flakyTarget.requests).toHaveLength(4);
  });
});

describe('cooldown and rate limits', () => {
  it('refuses a second run on the same target within the 2 s cooldown, and runs after it', async () => {
    okTarget.respond(200);
    const first = await runOnce('cool', { alertname: 'Cool', instance: 'cool-1' });
    expect(first.status).toBe('succeeded');
    const early = await runOnce('cool', { alertname: 'Cool', instance: 'cool-1' });
    expect(early).toMatchObject({ status: 'skipped', reason: 'cooldown' });
    expect(refusals(early)).toEqual([
      expect.objectContaining({
        stage: 'cooldown',
        decision: 'refuse',
        reason: 'cooldown',
        detail: expect.stringMatching(/^cooling down until \d{4}-\d\d-\d\dT[\d:.]+Z$/),
      }),
    ]);
    // The cooldown started when the first run ended.
    const until = Date.parse(refusals(early)[0]!.detail!.slice('cooling down until '.length));
    expect(until - Date.parse(first.finishedAt!)).toBeGreaterThanOrEqual(2000);
    expect(until - Date.parse(first.finishedAt!)).toBeLessThan(2100);
    // The cooldown is per target.
    expect((await runOnce('cool', { alertname: 'Cool', instance: 'cool-2' })).status).toBe('succeeded');

    await sleep(until + 50 - Date.now());
    const later = await runOnce('cool', { alertname: 'Cool', instance: 'cool-1' });
    expect(later).toMatchObject({ status: 'succeeded', reason: 'ok' });
    const calls = okTarget.requests.map((r) => r.url.split('/').slice(1, 3).join('/'));
    expect(calls).toEqual(['cool/cool-1', 'cool/cool-2', 'cool/cool-1']);
    expect(okTarget.requests.map((r) => r.url)).not.toContain(`/cool/cool-1/${early.alert.fingerprint}`);
  });

  it('refuses the third run on a target within "2 per 1h" as rate_limited', async () => {
    okTarget.respond(200);
    const before = okTarget.requests.length;
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runOnce('rated', { alertname: 'Rated', instance: 'rate-1' }));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'skipped']);
    expect(runs[2]!.reason).toBe('rate_limited');
    expect(refusals(runs[2]!)).toEqual([
      expect.objectContaining({
        stage: 'rate_limit',
        decision: 'refuse',
        reason: 'rate_limited',
        detail: '2 runs per 1h per target reached',
      }),
    ]);
    // The refusal gave back its places: another target's run is neither blocked nor counted against.
    expect((await runOnce('rated', { alertname: 'Rated', instance: 'rate-2' })).status).toBe('succeeded');
    expect(okTarget.requests.slice(before).map((r) => r.url.split('/')[2])).toEqual([
      'rate-1',
      'rate-1',
      'rate-2',
    ]);
  });
});
