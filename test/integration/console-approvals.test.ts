import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/types.ts';
import { consoleClient, type ConsoleClient } from '../harness/console-client.ts';
import { startHttpTarget, type HttpTarget } from '../harness/http-target.ts';
import { fire, waitForRecord } from '../harness/policy-checks.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const TOKEN = 'console-approvals-token';
const RISKY = `name: risky
match: ['alertname = "Risky"']
target: t
approval: { always: true, expiresAfter: 30m }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h", group: '' }
params: { case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' } }
steps:
  - name: restart
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;

let target: HttpTarget;
let svc: TestService;

beforeAll(async () => {
  target = await startHttpTarget();
  svc = await startTestService({
    runbooks: { 'risky.yaml': RISKY },
    inventory: `targets:\n  t: { http: { baseUrl: "${target.baseUrl}" } }\n`,
    env: { REMEDIATOR_OPERATOR_TOKEN: TOKEN },
  });
});
afterAll(async () => {
  await svc?.stop();
  await target?.stop();
});

/** Fires a Risky alert and waits until its run asks for approval. */
async function waiting(labels: Record<string, string> = {}, annotations: Record<string, string> = {}) {
  const kase = randomBytes(4).toString('hex');
  const { id } = await fire(svc, 'risky', {
    labels: { alertname: 'Risky', case: kase, ...labels },
    annotations,
  });
  const run = await waitForRecord(svc, id, (r) => r.status === 'awaiting_approval');
  // What the console's forms carry: the id of the request they were drawn for.
  return { id, kase, request: run.approvals?.at(-1)?.id ?? '' };
}

const ended = (svc: TestService, id: string) =>
  waitForRecord(svc, id, (r) => !['queued', 'running', 'awaiting_approval'].includes(r.status), 20_000);
const restarts = (kase: string) => target.requests.filter((r) => r.url === `/restart?case=${kase}`).length;

async function loggedIn(name: string): Promise<ConsoleClient> {
  const client = consoleClient(svc.url);
  expect((await client.login(TOKEN, name)).status).toBe(303);
  return client;
}

describe('approvals in the console', () => {
  it('lists a waiting run with why, expiry and the rendered step; Approve runs it, recorded as the operator via console', async () => {
    const { id, kase, request } = await waiting({}, { summary: 'restart <b>t</b> "now"' });
    const client = await loggedIn('alice');
    const page = await client.get('/ui/approvals');
    expect(page.status).toBe(200);
    const card = page.text.slice(page.text.indexOf(`href="/ui/runs/${id}"`));
    expect(card).toContain('The run waits for approval before it starts.');
    expect(card).toContain('<li>always</li>');
    expect(card).toMatch(/expires <time datetime="[^"]+"[^>]*>in (29|30) min<\/time>/);
    expect(card).toContain('denied</strong> by itself');
    expect(card).toContain(`POST /restart?case&#x3D;${kase}`);
    expect(card).toContain('restart &lt;b&gt;t&lt;/b&gt; &quot;now&quot;');
    expect(card).toContain(`action="/ui/runs/${id}/approve"`);
    expect(card).toContain(`action="/ui/runs/${id}/deny"`);
    expect(restarts(kase)).toBe(0);

    const approved = await client.post(`/ui/runs/${id}/approve`, { back: 'approvals', request });
    expect(approved.status).toBe(303);
    expect(approved.location).toBe('/ui/approvals?done=approved');
    const run = await ended(svc, id);
    expect(run.status).toBe('succeeded');
    expect(restarts(kase)).toBe(1);
    expect(run.approvals?.at(-1)).toMatchObject({ state: 'approved', decidedBy: 'alice', via: 'console' });
    const detail = await client.get(`/ui/runs/${id}`);
    expect(detail.text).toMatch(/approved<\/span>\s*<\/td>/);
    expect(detail.text).toMatch(/by alice via console/);
    expect(detail.text).not.toContain(`action="/ui/runs/${id}/approve"`);
  });

  it('says clearly when the run no longer waits (E_NOT_AWAITING), and changes nothing', async () => {
    const { id, kase, request } = await waiting();
    const alice = await loggedIn('alice');
    const bob = await loggedIn('bob');
    await alice.get(`/ui/runs/${id}`);
    await bob.get(`/ui/runs/${id}`);
    expect((await alice.post(`/ui/runs/${id}/approve`, { back: 'run', request })).location).toBe(
      `/ui/runs/${id}?done=approved`,
    );
    const late = await bob.post(`/ui/runs/${id}/deny`, { back: 'run', request, comment: 'too risky' });
    expect(late.status).toBe(409);
    expect(late.text).toContain('This run is not waiting for approval any more');
    expect(late.text).toContain('E_NOT_AWAITING');
    expect(late.text).toContain('by alice');
    const run = await ended(svc, id);
    expect(run.status).toBe('succeeded');
    expect(run.approvals).toHaveLength(1);
    expect(restarts(kase)).toBe(1);
    const missing = await bob.post('/ui/runs/no-such-run/approve', { back: 'run', request });
    expect(missing.status).toBe(404);
  });

  it('denies with a required reason, recorded with the answer; nothing runs', async () => {
    const { id, kase, request } = await waiting();
    const carol = await loggedIn('carol');
    const page = await carol.get(`/ui/runs/${id}`);
    expect(page.text).toContain('Waiting for approval');
    const empty = await carol.post(`/ui/runs/${id}/deny`, { back: 'run', request, comment: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Say why you deny the run');
    expect(((await svc.get(`/api/v1/runs/${id}`).then((r) => r.json())) as RunRecord).status).toBe(
      'awaiting_approval',
    );
    const denied = await carol.post(`/ui/runs/${id}/deny`, {
      back: 'run',
      request,
      comment: 'primary is in a backup window',
    });
    expect(denied.status).toBe(303);
    expect(denied.location).toBe(`/ui/runs/${id}?done=denied`);
    const run = await ended(svc, id);
    expect(run).toMatchObject({ status: 'skipped', reason: 'approval_denied' });
    expect(run.approvals?.at(-1)).toMatchObject({
      state: 'denied',
      decidedBy: 'carol',
      via: 'console',
      comment: 'primary is in a backup window',
    });
    expect(restarts(kase)).toBe(0);
    const detail = await carol.get(`/ui/runs/${id}?done=denied`);
    expect(detail.text).toContain('Denied: the run will not act.');
    expect(detail.text).toContain('primary is in a backup window');
  });

  it('refuses answers without the CSRF token, and takes the Basic-auth user name as the approver', async () => {
    const { id, request } = await waiting();
    const client = await loggedIn('mallory');
    await client.get(`/ui/runs/${id}`);
    expect((await client.post(`/ui/runs/${id}/approve`, { csrf: null, back: 'run', request })).status).toBe(
      403,
    );
    expect(
      (await client.post(`/ui/runs/${id}/approve`, { csrf: 'forged', back: 'run', request })).status,
    ).toBe(403);
    expect(((await svc.get(`/api/v1/runs/${id}`).then((r) => r.json())) as RunRecord).status).toBe(
      'awaiting_approval',
    );

    const basic = { authorization: `Basic ${Buffer.from(`dora:${TOKEN}`).toString('base64')}` };
    const viaBasic = consoleClient(svc.url);
    await viaBasic.get('/ui/approvals', basic);
    expect(
      (await viaBasic.post(`/ui/runs/${id}/approve`, { back: 'approvals', request }, basic)).status,
    ).toBe(303);
    expect((await ended(svc, id)).approvals?.at(-1)).toMatchObject({ decidedBy: 'dora', via: 'console' });
  });
});
