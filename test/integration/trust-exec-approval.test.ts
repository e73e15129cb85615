/**
 * An exec step that needs approval, through the whole service, fed a label value meant to deceive the
 * approver: a right-to-left override and a length that pushes what the runbook writes after the value
 * out of Slack's view. The approver is told, in both messages; the program still gets the exact value.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const TOKEN = 'trust-exec-approval-token';
const RUNBOOK = `name: scale
match: ['alertname = "Scale"']
target: ctl
approval: { always: true }
params: { name: { from: '{{labels.name}}', pattern: '[^\\n]{1,400}' } }
steps:
  - name: scale
    exec: { command: [/usr/bin/printf, '%s|%s', 'deployment/{{params.name}}', '--replicas=0'] }
`;

let hooks: RoutedHttp;
let svc: TestService;

beforeAll(async () => {
  hooks = await startRoutedHttp();
  for (const path of ['/approval', '/slack']) hooks.route('POST', path, { status: 200 });
  svc = await startTestService({
    runbooks: { 'scale.yaml': RUNBOOK },
    inventory: 'targets:\n  ctl: { local: true }\n',
    env: {
      REMEDIATOR_EXEC_ALLOW: '/usr/bin/printf',
      REMEDIATOR_OPERATOR_TOKEN: TOKEN,
      REMEDIATOR_APPROVAL_WEBHOOKS: `${hooks.baseUrl}/approval,slack+${hooks.baseUrl}/slack`,
    },
  });
});
afterAll(async () => {
  await svc?.stop();
  await hooks?.stop();
});

async function waitFor(id: string, status: RunRecord['status']): Promise<RunRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await svc.get(`/api/v1/runs/${id}`);
    if (res.status === 200) {
      const run = (await res.json()) as RunRecord;
      if (run.status === status) return run;
    }
    if (Date.now() > deadline) throw new Error(`run ${id} did not reach ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('an exec step awaiting approval, with a deceptive label value', () => {
  it('shows the approver the hidden characters and the cut, and runs the exact value once approved', async () => {
    const value = `web\u202e0=sacilper\u200b${'a'.repeat(300)}`;
    const fingerprint = randomBytes(8).toString('hex');
    const startsAt = new Date().toISOString();
    const res = await svc.post(
      '/hooks/alertmanager',
      payload([{ labels: { alertname: 'Scale', name: value }, fingerprint, startsAt }]),
    );
    expect(res.status).toBe(202);
    const id = runId('scale', fingerprint, startsAt);
    await waitFor(id, 'awaiting_approval');

    const [json] = await hooks.waitFor((r) => r.url === '/approval' && r.body.includes(id));
    const action = (JSON.parse(json!.body) as { steps: Array<{ action: string }> }).steps[0]!.action;
    expect(action).toContain('"deployment/web\\u202e0=sacilper\\u200baaa');
    expect(action).toMatch(/"--replicas=0"\]$/);
    const [slack] = await hooks.waitFor((r) => r.url === '/slack' && r.body.includes(id));
    const text = JSON.stringify(JSON.parse(slack!.body));
    expect(text).not.toMatch(/[\u200b\u202e]/);
    expect(text).toContain('web\\\\u202e0=sacilper\\\\u200baaa');
    expect(text).toContain('characters shown; open the run for the whole command)');

    const run = (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
    const requestId = run.approvals!.at(-1)!.id;
    const answer = await svc.post(
      `/api/v1/runs/${id}/approve`,
      { requestId },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(answer.status).toBe(200);
    const done = await waitFor(id, 'succeeded');
    expect(done.steps[0]!.output).toContain(`deployment/${value}|--replicas=0`);
  }, 60_000);
});
