import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startPrometheus, type TestPrometheus } from '../harness/prometheus.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * The verification ladder end to end: webhook -> Redis -> worker -> real HTTP target, real OpenSSH,
 * real Prometheus -> verify -> next step, undo, abort on resolve, healing memory; escalations go to a
 * real HTTP server that records them.
 */
let sshd: Sshd;
let prometheus: TestPrometheus;
let app: RoutedHttp;
let pager: RoutedHttp;
let svc: TestService;

// No cooldown, rate or breaker limits: each test drives several runs of one runbook on one target.
const POLICY = `cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '', breaker: { failures: 100 }`;

const runbooks = (dir: string): Record<string, string> => ({
  'gentle.yaml': `
name: gentle-first
match: ['alertname = "MemoryLeak"']
target: app-gentle
policy: { ${POLICY} }
steps:
  - name: release-memory
    http: { path: /admin/release-memory }
    verify: { http: { path: /healthz, expect: 200 }, within: 1s }
  - name: restart
    ssh: { command: [sh, -c, 'echo restarted > "$1"', sh, "${dir}/restarted-{{alert.fingerprint}}"] }
    verify: { http: { path: /healthz, expect: 200 }, within: 3s }
  - name: reboot
    ssh: { command: [touch, "${dir}/rebooted-{{alert.fingerprint}}"] }
`,
  'resolved.yaml': `
name: wait-resolved
match: ['alertname = "QueueBacklog"']
target: app-resolved
policy: { ${POLICY} }
steps:
  - name: kick-consumers
    http: { path: /admin/kick }
    verify: { alertResolved: 3s }
  - name: add-consumers
    http: { path: /admin/scale }
    verify: { alertResolved: 1s }
`,
  'promql.yaml': `
name: promql-ladder
match: ['alertname = "ErrorRate"']
target: app-promql
policy: { ${POLICY} }
steps:
  - name: flush
    http: { path: /admin/flush }
    verify: { promql: 'vector(1)', expect: empty, within: 2s }
  - name: rollback
    http: { path: /admin/rollback }
    verify: { promql: 'vector(0) > 1', expect: empty, within: 2s }
`,
  'undo.yaml': `
name: drain-then-fix
match: ['alertname = "BadInstance"']
target: app-undo
policy: { ${POLICY} }
params: { code: { from: '{{labels.code}}', pattern: '[0-9]{1,3}' } }
steps:
  - name: drain
    http: { path: /drain }
    undo: { http: { path: /undrain } }
  - name: fix
    ssh: { command: [sh, -c, 'exit "$1"', sh, '{{params.code}}'] }
`,
  'undo-always.yaml': `
name: drain-always
match: ['alertname = "SickInstance"']
target: app-undo
policy: { ${POLICY} }
steps:
  - name: drain
    http: { path: /drain }
    undo: { http: { path: /undrain }, when: always }
  - name: restart
    http: { path: /restart }
    verify: { http: { path: /healthz }, within: 1s }
`,
  ...Object.fromEntries(
    (['abort', 'finish'] as const).map((mode) => [
      `on-resolved-${mode}.yaml`,
      `
name: on-resolved-${mode}
match: ['alertname = "Resolving"', 'mode = "${mode}"']
target: app-${mode}
policy: { ${POLICY}, onResolved: ${mode} }
steps:
  - name: slow
    http: { path: /slow, timeout: 5s }
  - name: second
    http: { path: /second }
`,
    ]),
  ),
  'adaptive.yaml': `
name: adaptive
match: ['alertname = "Flaky"']
target: app-adaptive
adaptive: true
policy: { ${POLICY} }
steps:
  - name: flush-cache
    http: { path: /flush-cache }
    verify: { http: { path: /health-after-flush, expect: 200 }, within: 1s }
  - name: restart-app
    http: { path: /restart-app }
    verify: { http: { path: /health-after-restart, expect: 200 }, within: 1s }
`,
});

const TARGETS = ['app-gentle', 'app-resolved', 'app-promql', 'app-undo', 'app-abort', 'app-finish'];

const inventory = (s: Sshd, baseUrl: string) => `
defaults:
  ssh: { host: 127.0.0.1, port: ${s.port}, user: ${s.user}, key: ${s.keyFile}, hostKey: "${s.hostKey}" }
targets:
${[...TARGETS, 'app-adaptive'].map((t) => `  ${t}: { ssh: {}, http: { baseUrl: "${baseUrl}" } }`).join('\n')}
`;

beforeAll(async () => {
  [sshd, prometheus, app, pager] = await Promise.all([
    startSshd(),
    startPrometheus(),
    startRoutedHttp(),
    startRoutedHttp(),
  ]);
  svc = await startTestService({
    runbooks: runbooks(sshd.dir),
    inventory: inventory(sshd, app.baseUrl),
    env: {
      REMEDIATOR_PROMETHEUS_URL: prometheus.url,
      REMEDIATOR_ESCALATION_WEBHOOKS: `${pager.baseUrl}/escalate`,
    },
  });
});

afterAll(async () => {
  await svc?.stop();
  await Promise.all([sshd?.stop(), prometheus?.stop(), app?.stop(), pager?.stop()]);
});

beforeEach(() => {
  app.reset();
  pager.reset();
  pager.route('POST', '/escalate', { status: 200, body: 'ok' });
});

interface Fired {
  id: string;
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
}

/** Posts one firing alert and returns the id of the run `runbook` makes of it. */
async function fire(runbook: string, labels: Record<string, string>): Promise<Fired> {
  const body = payload([{ labels, fingerprint: randomBytes(8).toString('hex') }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const { fingerprint, startsAt } = body.alerts[0]!;
  return { id: runId(runbook, fingerprint, startsAt), fingerprint, startsAt, labels };
}

/** Posts the resolved notification of the same alert occurrence. */
async function resolve(alert: Fired): Promise<void> {
  const body = payload([{ ...alert, status: 'resolved' }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function escalations(): Array<Record<string, unknown>> {
  return pager.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

const names = (run: RunRecord) => run.steps.map((s) => s.name);

describe('ladder: gentle first, then stronger', () => {
  it('moves on when a verify fails and stops at the first step whose verify passes', async () => {
    const fingerprint = randomBytes(8).toString('hex');
    // Healthy only once the ssh step has really run on the host and left its marker.
    app.route('POST', '/admin/release-memory', { status: 200, body: 'released' });
    app.route('GET', '/healthz', () => ({
      status: existsSync(join(sshd.dir, `restarted-${fingerprint}`)) ? 200 : 503,
    }));
    const body = payload([{ labels: { alertname: 'MemoryLeak' }, fingerprint }]);
    expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
    const run = await svc.waitForRun(runId('gentle-first', fingerprint, body.alerts[0]!.startsAt));

    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(run.message).toBe('step "restart" fixed it: GET /healthz answered 200');
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['release-memory', 'succeeded'],
      ['restart', 'succeeded'],
      ['reboot', 'skipped'],
    ]);
    expect(run.steps[0]!.verify).toMatchObject({
      kind: 'http',
      ok: false,
      detail: 'GET /healthz answered 503, expected 200',
    });
    expect(run.steps[0]!.verify!.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(run.steps[1]!.verify).toMatchObject({
      kind: 'http',
      ok: true,
      detail: 'GET /healthz answered 200',
    });
    expect(run.steps[2]).toMatchObject({ status: 'skipped', skippedBecause: 'not_needed' });
    expect(existsSync(join(sshd.dir, `rebooted-${fingerprint}`))).toBe(false);
    // The gentle step ran first, was checked (503), and only then the stronger one.
    const calls = app.calls();
    expect(calls[0]).toBe('POST /admin/release-memory');
    expect(calls.slice(1).every((c) => c === 'GET /healthz')).toBe(true);
    expect(escalations()).toEqual([]);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(
      /remediator_verifications_total\{[^}]*step="release-memory"[^}]*result="failed"[^}]*\} 1/,
    );
  });
});

describe('ladder: verify alertResolved', () => {
  it('passes as soon as the resolved notification of the same occurrence arrives', async () => {
    app.route('POST', '/admin/kick', { status: 200 });
    const alert = await fire('wait-resolved', { alertname: 'QueueBacklog' });
    await until('the first step acted', () => app.calls().includes('POST /admin/kick'));
    const started = Date.now();
    await resolve(alert);
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(run.steps[0]!.verify).toMatchObject({
      kind: 'alertResolved',
      ok: true,
      detail: 'Alertmanager sent a resolved notification',
    });
    expect(run.steps[1]).toMatchObject({ status: 'skipped', skippedBecause: 'not_needed' });
    expect(app.calls()).toEqual(['POST /admin/kick']);
    // Polled every second: it did not wait for the 3 s deadline.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(escalations()).toEqual([]);
  });

  it('without a resolution, every verify fails at its deadline: failed verify_failed, escalated', async () => {
    app.route('POST', '/admin/kick', { status: 200 });
    app.route('POST', '/admin/scale', { status: 200 });
    const alert = await fire('wait-resolved', { alertname: 'QueueBacklog' });
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'failed', reason: 'verify_failed' });
    expect(run.message).toBe('no step fixed it; last check: no resolved notification yet');
    expect(run.steps.map((s) => [s.name, s.status, s.verify?.ok])).toEqual([
      ['kick-consumers', 'succeeded', false],
      ['add-consumers', 'succeeded', false],
    ]);
    expect(run.steps[0]!.verify!.elapsedMs).toBeGreaterThanOrEqual(2900);
    expect(app.calls()).toEqual(['POST /admin/kick', 'POST /admin/scale']);
    await until('the escalation arrived', () => pager.requests.length > 0);
    const [sent] = escalations();
    expect(sent).toMatchObject({
      kind: 'remediator.escalation',
      runId: alert.id,
      runbook: 'wait-resolved',
      target: 'app-resolved',
      status: 'failed',
      reason: 'verify_failed',
      alert: { fingerprint: alert.fingerprint, labels: { alertname: 'QueueBacklog' } },
      steps: [
        {
          name: 'kick-consumers',
          status: 'succeeded',
          verify: 'alertResolved: failed (no resolved notification yet)',
        },
        {
          name: 'add-consumers',
          status: 'succeeded',
          verify: 'alertResolved: failed (no resolved notification yet)',
        },
      ],
    });
    expect(run.escalations).toEqual([
      expect.objectContaining({ target: pager.baseUrl, ok: true, status: 200 }),
    ]);
  });
});

describe('ladder: verify promql against a real Prometheus', () => {
  it('fails on vector(1) with expect empty, passes on `vector(0) > 1`', async () => {
    app.route('POST', '/admin/flush', { status: 200 });
    app.route('POST', '/admin/rollback', { status: 200 });
    const alert = await fire('promql-ladder', { alertname: 'ErrorRate' });
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    // Windows of 2 s and a prefix match: under load the last poll at the deadline may go unanswered,
    // which the detail then adds after what the last answered poll said.
    expect(run.steps[0]!.verify).toMatchObject({ kind: 'promql', ok: false });
    expect(run.steps[0]!.verify!.detail).toMatch(/^query returned 1 series, expected no series/);
    expect(run.steps[1]!.verify).toMatchObject({
      kind: 'promql',
      ok: true,
      detail: 'query returned no series',
    });
    expect(app.calls()).toEqual(['POST /admin/flush', 'POST /admin/rollback']);
  });
});

describe('ladder: rollback', () => {
  it('undoes a completed step when a later step fails, newest first, and escalates', async () => {
    app.route('POST', '/drain', { status: 200, body: 'drained' });
    app.route('POST', '/undrain', { status: 200, body: 'undrained' });
    const alert = await fire('drain-then-fix', { alertname: 'BadInstance', code: '1' });
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'failed', reason: 'E_EXIT' });
    expect(app.calls()).toEqual(['POST /drain', 'POST /undrain']);
    expect(run.steps[0]).toMatchObject({
      name: 'drain',
      status: 'succeeded',
      undo: {
        status: 'succeeded',
        httpStatus: 200,
        output: 'undrained',
        action: { kind: 'http', method: 'POST', path: '/undrain' },
      },
    });
    expect(run.steps[1]).toMatchObject({ name: 'fix', status: 'failed', exitCode: 1, errorCode: 'E_EXIT' });
    expect(run.steps[1]!.undo).toBeUndefined();
    await until('the escalation arrived', () => pager.requests.length > 0);
    expect(escalations()[0]).toMatchObject({ runId: alert.id, status: 'failed', reason: 'E_EXIT' });
  });

  it('leaves a `when: failure` undo alone after a success', async () => {
    app.route('POST', '/drain', { status: 200 });
    app.route('POST', '/undrain', { status: 200 });
    const alert = await fire('drain-then-fix', { alertname: 'BadInstance', code: '0' });
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(app.calls()).toEqual(['POST /drain']);
    expect(run.steps[0]!.undo).toBeUndefined();
  });

  it('runs a `when: always` undo after a verified success too', async () => {
    app.route('POST', '/drain', { status: 200 });
    app.route('POST', '/restart', { status: 200 });
    app.route('GET', '/healthz', { status: 200 });
    app.route('POST', '/undrain', { status: 204 });
    const alert = await fire('drain-always', { alertname: 'SickInstance' });
    const run = await svc.waitForRun(alert.id);

    expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(app.calls()).toEqual(['POST /drain', 'POST /restart', 'GET /healthz', 'POST /undrain']);
    expect(run.steps[0]!.undo).toMatchObject({ status: 'succeeded', httpStatus: 204 });
    expect(run.steps[1]!.undo).toBeUndefined();
  });
});

describe('ladder: the alert resolves while a step runs', () => {
  async function resolveDuringFirstStep(mode: 'abort' | 'finish'): Promise<RunRecord> {
    app.route('POST', '/slow', { status: 200, delayMs: 1500 });
    app.route('POST', '/second', { status: 200 });
    const alert = await fire(`on-resolved-${mode}`, { alertname: 'Resolving', mode });
    await until('the slow step started', () => app.calls().includes('POST /slow'));
    await resolve(alert);
    return svc.waitForRun(alert.id);
  }

  it('onResolved: abort stops at the next step boundary: skipped, reason resolved', async () => {
    const run = await resolveDuringFirstStep('abort');
    expect(run).toMatchObject({ status: 'skipped', reason: 'resolved' });
    expect(run.message).toBe('the alert resolved; stopped before step "second"');
    expect(run.steps[0]).toMatchObject({ name: 'slow', status: 'succeeded' });
    expect(run.steps[1]).toMatchObject({ name: 'second', status: 'skipped', skippedBecause: 'aborted' });
    expect(app.calls()).toEqual(['POST /slow']);
    expect(escalations()).toEqual([]);
  });

  it('onResolved: finish runs the remaining steps', async () => {
    const run = await resolveDuringFirstStep('finish');
    expect(run).toMatchObject({ status: 'succeeded', reason: 'ok' });
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(app.calls()).toEqual(['POST /slow', 'POST /second']);
  });
});

describe('ladder: adaptive order (healing memory)', () => {
  it('tries the step that worked before first, and exports its success ratio', async () => {
    app.route('POST', '/flush-cache', { status: 200 });
    app.route('GET', '/health-after-flush', { status: 503 });
    app.route('POST', '/restart-app', { status: 200 });
    app.route('GET', '/health-after-restart', { status: 200 });

    const first = await svc.waitForRun((await fire('adaptive', { alertname: 'Flaky' })).id);
    // No history yet: the written order. flush-cache does not help, restart-app does.
    expect(names(first)).toEqual(['flush-cache', 'restart-app']);
    expect(first).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(first.steps.map((s) => s.verify?.ok)).toEqual([false, true]);

    for (let i = 0; i < 2; i++) {
      const run = await svc.waitForRun((await fire('adaptive', { alertname: 'Flaky' })).id);
      expect(names(run)).toEqual(['restart-app', 'flush-cache']);
      expect(run).toMatchObject({ status: 'succeeded', reason: 'verified' });
      expect(run.steps[1]).toMatchObject({ status: 'skipped', skippedBecause: 'not_needed' });
    }
    expect(app.calls().filter((c) => c === 'POST /flush-cache')).toHaveLength(1);
    expect(app.calls().filter((c) => c === 'POST /restart-app')).toHaveLength(3);

    const metrics = await (await svc.get('/metrics')).text();
    const gauge = (name: string, step: string) =>
      metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`${name}{`) &&
            l.includes('runbook="adaptive"') &&
            l.includes(`step="${step}"`) &&
            l.includes('alertname="Flaky"'),
        )
        ?.split(' ')
        .at(-1);
    expect(gauge('remediator_step_success_ratio', 'flush-cache')).toBe('0');
    expect(gauge('remediator_step_success_ratio', 'restart-app')).toBe('1');
    expect(gauge('remediator_step_attempts', 'flush-cache')).toBe('1');
    expect(gauge('remediator_step_attempts', 'restart-app')).toBe('3');
  });
});
