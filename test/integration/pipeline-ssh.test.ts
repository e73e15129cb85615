import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import { fixture, payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { randomHostKey, startSshd, type Sshd } from '../harness/sshd.ts';

/**
 * The whole path against real parts: Alertmanager payload -> webhook -> Redis -> BullMQ -> worker ->
 * a real OpenSSH server on loopback -> run record and metrics.
 */
let sshd: Sshd;
let svc: TestService;
let markers: string;

const inventory = (s: Sshd, hostKey: string) => `
defaults:
  ssh: { host: 127.0.0.1, port: ${s.port}, user: ${s.user}, key: ${s.keyFile}, hostKey: "${hostKey}" }
targets:
  app-1:8081: { ssh: {} }
  app-2:8081: { ssh: {} }
  app-3:8081: { ssh: {} }
  hostile: { ssh: {} }
  wrong-key: { ssh: { hostKey: "${randomHostKey()}" } }
`;

const runbooks = (dir: string) => ({
  'mark.yaml': `
name: mark
match: ['alertname = "HighMemoryUsage"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: append-marker
    ssh:
      command: [sh, -c, 'printf "%s\\n" "$1" >> "$2"', sh, "{{target}}", "${dir}/marker"]
      timeout: 10s
`,
  'echo.yaml': `
name: echo-label
match: ['alertname = "Hostile"']
target: "{{labels.target}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
# A pattern that lets anything through: the shell quoting behind it is what is tested.
params:
  payload: { from: "{{labels.payload}}", pattern: '(?s).*' }
steps:
  - name: write-value
    ssh:
      command: [sh, -c, 'printf "%s" "$1" > "$2"', sh, "{{params.payload}}", "${dir}/out-{{alert.fingerprint}}"]
`,
  'param.yaml': `
name: checked-param
match: ['alertname = "Checked"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
params:
  service: { from: "{{labels.service}}", pattern: "[a-z][a-z0-9-]{0,40}" }
steps:
  - name: touch
    ssh: { command: [touch, "${dir}/param-{{params.service}}"] }
`,
  'fails.yaml': `
name: fails
match: ['alertname = "Fails"']
target: "{{labels.instance}}"
policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, maxInFlight: 50, group: '' }
steps:
  - name: exit-3
    ssh: { command: [sh, -c, 'echo oops >&2; exit 3'] }
  - name: never
    ssh: { command: [touch, "${dir}/never"] }
`,
});

beforeAll(async () => {
  sshd = await startSshd();
  markers = sshd.dir;
  svc = await startTestService({ runbooks: runbooks(markers), inventory: inventory(sshd, sshd.hostKey) });
});

afterAll(async () => {
  await svc?.stop();
  await sshd?.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await svc.get('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ')[1]) : NaN;
}

describe('webhook -> ssh step', () => {
  it('runs the step for each matching alert, once, despite an HA duplicate and a replay', async () => {
    const first = await svc.post('/hooks/alertmanager', fixture('01-firing-group-of-3'));
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ alerts: 3, matched: 3, queued: 3, duplicates: 0 });
    const ids = fixture('01-firing-group-of-3').alerts.map((a) =>
      runId('mark', String(a['fingerprint']), String(a['startsAt'])),
    );
    for (const id of ids) expect((await svc.waitForRun(id)).status).toBe('succeeded');

    const dup = await svc.post('/hooks/alertmanager', fixture('02-ha-peer-duplicate-of-01'));
    expect(await dup.json()).toMatchObject({ matched: 3, queued: 0, duplicates: 3 });
    const replay = await svc.post('/hooks/alertmanager', fixture('01-firing-group-of-3'));
    expect(await replay.json()).toMatchObject({ queued: 0, duplicates: 3 });
    const resend = await svc.post('/hooks/alertmanager', fixture('05-repeat-interval-resend'));
    expect(await resend.json()).toMatchObject({ queued: 0 });
    await new Promise((r) => setTimeout(r, 500));
    const lines = readFileSync(join(markers, 'marker'), 'utf8').trim().split('\n').sort();
    expect(lines).toEqual(['app-1:8081', 'app-2:8081', 'app-3:8081']);
  });

  it('keeps a run record with the alert, the rendered step, exit code and timings', async () => {
    const a = fixture('01-firing-group-of-3').alerts[0]!;
    const run = await svc.waitForRun(runId('mark', String(a['fingerprint']), String(a['startsAt'])));
    expect(run).toMatchObject({
      runbook: 'mark',
      target: 'app-1:8081',
      status: 'succeeded',
      reason: 'ok',
      alert: { fingerprint: a['fingerprint'], status: 'firing', labels: { instance: 'app-1:8081' } },
      source: { receiver: 'r', externalURL: 'http://am-a.example:19193' },
    });
    expect(run.steps).toHaveLength(1);
    expect(run.steps[0]).toMatchObject({ name: 'append-marker', status: 'succeeded', exitCode: 0 });
    expect(run.steps[0]!.action).toMatchObject({
      kind: 'ssh',
      argv: ['sh', '-c', 'printf "%s\\n" "$1" >> "$2"', 'sh', 'app-1:8081', `${markers}/marker`],
    });
    expect(Date.parse(run.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!));
    expect(run.steps[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await metric('remediator_runs_total{runbook="mark",result="succeeded"}')).toBe(3);
    expect(
      await metric(
        'remediator_steps_total{runbook="mark",step="append-marker",action="ssh",result="succeeded"}',
      ),
    ).toBe(3);
    expect(await metric('remediator_alerts_matched_total{runbook="mark",outcome="duplicate"}')).toBe(9);
    expect(
      await metric(
        'remediator_step_duration_seconds_count{runbook="mark",step="append-marker",action="ssh"}',
      ),
    ).toBe(3);
  });

  it.each([
    ['semicolon', 'x; touch PWNED'],
    ['command substitution', '$(touch PWNED)'],
    ['backticks', '`touch PWNED`'],
    ['quotes', `a'b"c' ; touch PWNED #`],
  ])('passes a hostile label (%s) as literal text', async (_name, template) => {
    const pwned = join(markers, `pwned-${randomBytes(4).toString('hex')}`);
    const value = template.replace('PWNED', pwned);
    const body = payload([{ labels: { alertname: 'Hostile', target: 'hostile', payload: value } }]);
    const res = await svc.post('/hooks/alertmanager', body);
    expect(res.status).toBe(202);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('echo-label', alert.fingerprint, alert.startsAt));
    expect(run.status).toBe('succeeded');
    expect(readFileSync(join(markers, `out-${alert.fingerprint}`), 'utf8')).toBe(value);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses a label holding a newline before connecting', async () => {
    const body = payload([
      { labels: { alertname: 'Hostile', target: 'hostile', payload: 'a\ntouch /tmp/x' } },
    ]);
    await svc.post('/hooks/alertmanager', body);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('echo-label', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_UNSAFE_ARG' });
    expect(existsSync(join(markers, `out-${alert.fingerprint}`))).toBe(false);
  });

  it('checks a parameter against its pattern before anything runs', async () => {
    const body = payload([
      { labels: { alertname: 'Checked', instance: 'app-1:8081', service: 'web; reboot' } },
    ]);
    await svc.post('/hooks/alertmanager', body);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('checked-param', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_PARAM' });
    expect(run.message).toBe(
      'param "service": value "web; reboot" does not match the pattern "[a-z][a-z0-9-]{0,40}"',
    );
    expect(run.steps).toEqual([]);
  });

  it('refuses a host whose key is not the pinned one, and runs nothing there', async () => {
    const body = payload([{ labels: { alertname: 'Hostile', target: 'wrong-key', payload: 'x' } }]);
    await svc.post('/hooks/alertmanager', body);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('echo-label', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_HOST_KEY' });
    expect(run.steps[0]).toMatchObject({ status: 'failed', errorCode: 'E_HOST_KEY' });
    expect(existsSync(join(markers, `out-${alert.fingerprint}`))).toBe(false);
  });

  it('fails the run on a non-zero exit, keeps stderr, and skips later steps', async () => {
    const body = payload([{ labels: { alertname: 'Fails', instance: 'app-2:8081' } }]);
    await svc.post('/hooks/alertmanager', body);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('fails', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({ status: 'failed', reason: 'E_EXIT' });
    expect(run.steps[0]).toMatchObject({ status: 'failed', exitCode: 3, errorCode: 'E_EXIT' });
    expect(run.steps[0]!.output).toContain('oops');
    expect(run.steps[1]).toMatchObject({ name: 'never', status: 'skipped' });
    expect(existsSync(join(markers, 'never'))).toBe(false);
    expect(await metric('remediator_run_failures_total{runbook="fails",reason="E_EXIT"}')).toBe(1);
  });

  it('fails a run whose target is not in the inventory, with the reason', async () => {
    const body = payload([{ labels: { alertname: 'HighMemoryUsage', instance: 'nowhere:1' } }]);
    await svc.post('/hooks/alertmanager', body);
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('mark', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({
      status: 'failed',
      reason: 'E_UNKNOWN_TARGET',
      message: 'target "nowhere:1" is not in the inventory',
    });
  });

  it('records a run whose target cannot be rendered as failed at once', async () => {
    const body = payload([{ labels: { alertname: 'Hostile', payload: 'x' } }]);
    const res = await svc.post('/hooks/alertmanager', body);
    expect(await res.json()).toMatchObject({ matched: 1, queued: 0, failed: 1 });
    const alert = body.alerts[0]!;
    const run = await svc.waitForRun(runId('echo-label', alert.fingerprint, alert.startsAt));
    expect(run).toMatchObject({
      status: 'failed',
      reason: 'E_TEMPLATE',
      message: 'target: template "{{labels.target}}": "target" is not set on this alert',
    });
  });

  it('handles each alert on its own status, not the group status', async () => {
    const res = await svc.post('/hooks/alertmanager', fixture('04-one-resolved-two-firing'));
    // app-1 resolved: nothing for it; app-2 and app-3 firing: duplicates of the first test's runs.
    expect(await res.json()).toMatchObject({ alerts: 3, matched: 2, queued: 0, duplicates: 2 });
  });
});
