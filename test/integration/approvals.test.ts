import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';
import { childEnv } from '../harness/child-env.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TOKEN = 'op-token';
const SLACK_SECRET = 'slack-signing-secret';
const auth = { authorization: `Bearer ${TOKEN}` };

const RISKY = `name: risky
match: ['alertname = "Risky"']
target: t
approval: { always: true, expiresAfter: 5m }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params: { case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' } }
steps:
  - name: restart
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;
const EXPIRING = `name: expiring
match: ['alertname = "Expiring"']
target: t
approval: { always: true, expiresAfter: 2s }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params: { case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' } }
steps:
  - name: restart
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;
const GOES_ON = `name: goes-on
match: ['alertname = "GoesOn"']
target: t
approval: { always: true, expiresAfter: 2s, onExpiry: approve }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params: { case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' } }
steps:
  - name: restart
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;
// Gentle first, unattended; the restart needs a human. The gentle step's check fails (health 500).
const LADDER = `name: ladder
match: ['alertname = "Ladder"']
target: t
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params: { case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' } }
steps:
  - name: gentle
    http: { method: POST, path: '/gentle?case={{params.case}}' }
    verify: { http: { path: /health }, within: 1s }
    undo: { http: { method: POST, path: '/undo-gentle?case={{params.case}}' } }
  - name: restart
    approval: { labels: ['role = "primary"'] }
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;

let fleet: RoutedHttp;
let hooks: RoutedHttp;
let svc: TestService;

async function start(): Promise<TestService> {
  return startTestService({
    runbooks: {
      'risky.yaml': RISKY,
      'expiring.yaml': EXPIRING,
      'goes-on.yaml': GOES_ON,
      'ladder.yaml': LADDER,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "${fleet.baseUrl}" } }\n`,
    env: {
      REMEDIATOR_OPERATOR_TOKEN: TOKEN,
      REMEDIATOR_APPROVAL_WEBHOOKS: `${hooks.baseUrl}/approval,slack+${hooks.baseUrl}/slack`,
      REMEDIATOR_ESCALATION_WEBHOOKS: `${hooks.baseUrl}/escalate`,
      REMEDIATOR_SLACK_SIGNING_SECRET: SLACK_SECRET,
    },
  });
}

beforeAll(async () => {
  fleet = await startRoutedHttp();
  hooks = await startRoutedHttp();
  for (const path of ['/approval', '/slack', '/escalate']) hooks.route('POST', path, { status: 200 });
  for (const path of ['/restart', '/gentle', '/undo-gentle']) fleet.route('POST', path, { status: 200 });
  svc = await start();
});
afterAll(async () => {
  await svc?.stop();
  await fleet?.stop();
  await hooks?.stop();
});

/** Fires one alert of a runbook, with a fresh `case` label so its requests can be told apart. */
async function fire(alertname: string, runbook: string, labels: Record<string, string> = {}) {
  const kase = randomBytes(4).toString('hex');
  const fingerprint = randomBytes(8).toString('hex');
  const startsAt = new Date().toISOString();
  const body = payload([{ labels: { alertname, case: kase, ...labels }, fingerprint, startsAt }]);
  const res = await svc.post('/hooks/alertmanager', body);
  expect(res.status).toBe(202);
  return { id: runId(runbook, fingerprint, startsAt), kase, fingerprint, startsAt, alertname, labels };
}

async function waitFor(id: string, status: RunRecord['status'], timeoutMs = 20_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await svc.get(`/api/v1/runs/${id}`);
    if (res.status === 200) {
      const run = (await res.json()) as RunRecord;
      if (run.status === status) return run;
      if (!['queued', 'running', 'awaiting_approval'].includes(run.status))
        throw new Error(`run ${id} ended ${run.status} (${run.reason}: ${run.message}), not ${status}`);
    }
    if (Date.now() > deadline) throw new Error(`run ${id} did not reach ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The escalation posted for run `id`: it is sent after the run's outcome is stored, so wait for it. */
async function escalationFor(id: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = hooks.requests.find((r) => r.url === '/escalate' && r.body.includes(id));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no escalation for run ${id} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run `id`'s approval messages, once `count` have arrived (they are posted after the run asks). */
async function approvalMessages(id: string, count = 1): Promise<Array<Record<string, unknown>>> {
  return (await hooks.waitFor((r) => r.url === '/approval' && r.body.includes(id), count))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((m) => m['runId'] === id);
}

function calls(path: string): number {
  return fleet.requests.filter((r) => r.method === 'POST' && r.url === path).length;
}

/** Answers the run's latest request through the API, naming it as every API answer must. */
async function answer(id: string, decision: 'approve' | 'deny', body: Record<string, unknown> = {}) {
  const run = (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
  const requestId = run.approvals?.at(-1)?.id ?? 'none';
  return svc.post(`/api/v1/runs/${id}/${decision}`, { requestId, ...body }, auth);
}

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${ROOT}bin/remediator.js`, ...args, '--url', svc.url], {
      cwd: ROOT,
      env: childEnv({ REMEDIATOR_OPERATOR_TOKEN: TOKEN }),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('a risky runbook waits for a human', () => {
  it('waits in awaiting_approval, tells the approval webhooks, and runs once approved through the API', async () => {
    const a = await fire('Risky', 'risky');
    const waiting = await waitFor(a.id, 'awaiting_approval');
    expect(calls(`/restart?case=${a.kase}`)).toBe(0);
    expect(waiting.approvals).toHaveLength(1);
    expect(waiting.approvals![0]).toMatchObject({ state: 'pending', scope: 'run', why: ['always'] });
    expect(waiting.steps.map((s) => [s.name, s.status])).toEqual([['restart', 'pending']]);
    const [message] = await approvalMessages(a.id);
    expect(message).toMatchObject({
      kind: 'remediator.approval_request',
      runbook: 'risky',
      target: 't',
      why: ['always'],
      steps: [{ name: 'restart', action: `http: POST /restart?case=${a.kase}`, awaiting: true }],
    });
    expect(String(message!['approveUrl'])).toMatch(new RegExp(`^${svc.url}/approvals/[\\w-]+\\.[\\w-]+$`));
    const [slack] = await hooks.waitFor((r) => r.url === '/slack' && r.body.includes(a.id));
    expect(JSON.parse(slack!.body).blocks).toContainEqual(
      expect.objectContaining({ type: 'actions', block_id: 'remediator_approval' }),
    );
    const approved = await answer(a.id, 'approve', { by: 'alice', comment: 'go' });
    expect(approved.status).toBe(200);
    const run = await waitFor(a.id, 'succeeded');
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
    expect(run.approvals![0]).toMatchObject({
      state: 'approved',
      decidedBy: 'alice',
      via: 'api',
      comment: 'go',
    });
    expect(run.decisions?.map((d) => `${d.stage}:${d.decision}`)).toContain('approval:wait');
    // Single use: neither a second approval nor a late denial counts.
    const again = await answer(a.id, 'approve', { by: 'mallory' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toBe('E_NOT_AWAITING');
    expect((await answer(a.id, 'deny')).status).toBe(409);
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
    const events = (await (await svc.get('/api/v1/events')).json()) as {
      events: Array<Record<string, unknown>>;
    };
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: 'approval:granted', runId: a.id, by: 'alice', via: 'api' }),
    );
  });

  it('approves through a signed link: GET shows a confirmation, POST answers, a reused or changed link is refused', async () => {
    const a = await fire('Risky', 'risky');
    await waitFor(a.id, 'awaiting_approval');
    const [message] = await approvalMessages(a.id);
    const approveUrl = String(message!['approveUrl']);
    const denyUrl = String(message!['denyUrl']);
    const page = await fetch(approveUrl);
    expect(page.status).toBe(200);
    // Handlebars escapes `=` too.
    const html = (await page.text()).replaceAll('&#x3D;', '=');
    expect(html).toContain('Approve this remediation?');
    expect(html).toContain(`http: POST /restart?case=${a.kase}`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(calls(`/restart?case=${a.kase}`)).toBe(0); // looking at the page decides nothing
    const token = approveUrl.slice(approveUrl.lastIndexOf('/') + 1);
    const [body, sig] = token.split('.');
    const flipped = `${body!.slice(0, -2)}${body!.endsWith('A') ? 'B' : 'A'}${body!.slice(-1)}.${sig}`;
    const tampered = await fetch(`${svc.url}/approvals/${flipped}`, post({ by: 'eve' }));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('This link is not valid');
    const ok = await fetch(approveUrl, post({ by: 'bob', comment: '' }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Approved: the run goes on');
    const run = await waitFor(a.id, 'succeeded');
    expect(run.approvals![0]).toMatchObject({ state: 'approved', decidedBy: 'bob', via: 'link' });
    const reused = await fetch(approveUrl, post({ by: 'bob' }));
    expect(reused.status).toBe(409);
    expect((await fetch(approveUrl)).status).toBe(409);
    expect((await fetch(denyUrl, post({ by: 'carol' }))).status).toBe(409);
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
  });

  it('approves and denies through the CLI, once', async () => {
    const a = await fire('Risky', 'risky');
    await waitFor(a.id, 'awaiting_approval');
    const ok = await cli(['approve', a.id, '--by', 'dave']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`approved run ${a.id} (step restart) as dave\n`);
    await waitFor(a.id, 'succeeded');
    const twice = await cli(['approve', a.id]);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('the API answered 409');

    const b = await fire('Risky', 'risky');
    await waitFor(b.id, 'awaiting_approval');
    const denied = await cli(['deny', b.id, '--reason', 'primary is busy with a backup']);
    expect(denied.code).toBe(0);
    const run = await waitFor(b.id, 'skipped');
    expect(run.reason).toBe('approval_denied');
    expect(run.message).toContain('primary is busy with a backup');
    expect(run.approvals![0]!.decidedBy).toMatch(/^cli:/);
    expect(calls(`/restart?case=${b.kase}`)).toBe(0);
    expect(hooks.requests.filter((r) => r.url === '/escalate' && r.body.includes(b.id))).toHaveLength(0);
  });

  it('denies by default when nobody answers in time, and escalates', async () => {
    const a = await fire('Expiring', 'expiring');
    await waitFor(a.id, 'awaiting_approval');
    const run = await waitFor(a.id, 'skipped', 30_000);
    expect(run.reason).toBe('approval_expired');
    expect(run.approvals![0]).toMatchObject({ state: 'expired', via: 'expiry' });
    expect(calls(`/restart?case=${a.kase}`)).toBe(0);
    const escalation = await escalationFor(a.id);
    expect(JSON.parse(escalation.body)).toMatchObject({ reason: 'approval_expired', status: 'skipped' });
    expect((await answer(a.id, 'approve')).status).toBe(409);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(
      /remediator_approval_outcomes_total\{runbook="expiring",outcome="expired"\} [1-9]/,
    );
  });

  it('goes on when nobody answers and the runbook says onExpiry: approve, and still escalates', async () => {
    const a = await fire('GoesOn', 'goes-on');
    await waitFor(a.id, 'awaiting_approval');
    const run = await waitFor(a.id, 'succeeded', 30_000);
    expect(run.approvals![0]).toMatchObject({
      state: 'approved',
      via: 'expiry',
      decidedBy: 'nobody (onExpiry: approve)',
    });
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
    const escalation = await escalationFor(a.id);
    expect(JSON.parse(escalation.body)).toMatchObject({ reason: 'approval_expired' });
  });

  it('skips the run when the alert resolves before anyone answers', async () => {
    const a = await fire('Risky', 'risky');
    await waitFor(a.id, 'awaiting_approval');
    const resolved = payload([
      {
        labels: { alertname: 'Risky', case: a.kase },
        fingerprint: a.fingerprint,
        startsAt: a.startsAt,
        status: 'resolved',
      },
    ]);
    expect((await svc.post('/hooks/alertmanager', resolved)).status).toBe(202);
    const run = await waitFor(a.id, 'skipped');
    expect(run.reason).toBe('resolved');
    expect(run.approvals![0]).toMatchObject({ state: 'cancelled' });
    expect((await answer(a.id, 'approve')).status).toBe(409);
    expect(calls(`/restart?case=${a.kase}`)).toBe(0);
  });

  it('accepts a Slack button press only with a valid signature and a fresh timestamp', async () => {
    const a = await fire('Risky', 'risky');
    await waitFor(a.id, 'awaiting_approval');
    const requestId = await requestIdOf(a.id);
    const form = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'U1', username: 'erin' },
        actions: [{ action_id: 'remediator_approve', value: `${a.id}:${requestId}` }],
      }),
    }).toString();
    const now = Math.floor(Date.now() / 1000);
    const wrong = await slackPost(form, now, 'v0=' + '0'.repeat(64));
    expect(wrong.status).toBe(401);
    const old = await slackPost(form, now - 600, sign(form, now - 600));
    expect(old.status).toBe(401);
    expect(await old.text()).toContain('more than 5 minutes');
    expect((await (await svc.get(`/api/v1/runs/${a.id}`)).json()) as RunRecord).toMatchObject({
      status: 'awaiting_approval',
    });
    const good = await slackPost(form, now, sign(form, now));
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ text: 'Approved by erin.' });
    const run = await waitFor(a.id, 'succeeded');
    expect(run.approvals![0]).toMatchObject({ decidedBy: 'slack:erin', via: 'slack' });
  });
});

describe('a step that needs approval', () => {
  it('runs the gentle step unattended, waits before the restart, and goes on once approved', async () => {
    fleet.route('GET', '/health', { status: 500 });
    const replica = await fire('Ladder', 'ladder', { role: 'replica' });
    const r = await svc.waitForRun(replica.id);
    expect(r.status).toBe('succeeded'); // no approval for a replica: the labels condition does not hold
    expect(calls(`/restart?case=${replica.kase}`)).toBe(1);

    const a = await fire('Ladder', 'ladder', { role: 'primary' });
    const waiting = await waitFor(a.id, 'awaiting_approval');
    expect(waiting.steps.map((s) => [s.name, s.status])).toEqual([
      ['gentle', 'succeeded'],
      ['restart', 'pending'],
    ]);
    expect(waiting.approvals![0]).toMatchObject({ scope: 'step', step: 1, stepName: 'restart' });
    expect(waiting.approvals![0]!.why).toEqual(['labels role="primary"']);
    expect(calls(`/gentle?case=${a.kase}`)).toBe(1);
    expect(calls(`/restart?case=${a.kase}`)).toBe(0);
    expect((await answer(a.id, 'approve', { by: 'frank' })).status).toBe(200);
    const run = await waitFor(a.id, 'succeeded');
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
    expect(calls(`/gentle?case=${a.kase}`)).toBe(1);
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('undoes the steps that ran when the restart is denied', async () => {
    fleet.route('GET', '/health', { status: 500 });
    const a = await fire('Ladder', 'ladder', { role: 'primary' });
    await waitFor(a.id, 'awaiting_approval');
    expect((await answer(a.id, 'deny', { by: 'grace', reason: 'not now' })).status).toBe(200);
    const run = await waitFor(a.id, 'skipped');
    expect(run.reason).toBe('approval_denied');
    expect(calls(`/undo-gentle?case=${a.kase}`)).toBe(1);
    expect(calls(`/restart?case=${a.kase}`)).toBe(0);
    expect(run.steps[1]).toMatchObject({ status: 'skipped', skippedBecause: 'approval_denied' });
  });
});

describe('waiting survives a restart', () => {
  it('a run waiting when the service stops is still waiting after it starts again, and runs when approved', async () => {
    const a = await fire('Risky', 'risky');
    await waitFor(a.id, 'awaiting_approval');
    svc = await svc.restart();
    expect(((await (await svc.get(`/api/v1/runs/${a.id}`)).json()) as RunRecord).status).toBe(
      'awaiting_approval',
    );
    expect((await answer(a.id, 'approve', { by: 'heidi' })).status).toBe(200);
    await waitFor(a.id, 'succeeded');
    expect(calls(`/restart?case=${a.kase}`)).toBe(1);
  });
});

async function requestIdOf(id: string): Promise<string> {
  return String((await approvalMessages(id)).at(-1)?.['requestId']);
}

function post(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

function sign(body: string, ts: number): string {
  return `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
}

function slackPost(body: string, ts: number, signature: string) {
  return fetch(`${svc.url}/hooks/slack/actions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    body,
  });
}
