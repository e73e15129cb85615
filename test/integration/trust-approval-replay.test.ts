import { createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { consoleClient } from '../harness/console-client.ts';
import { payload } from '../harness/payloads.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';

// The attacker holds an answer that was valid once: a used approve link, a captured Slack callback,
// an API call, a console form. The run then asks again (a step that needs its own approval, over
// the same steps, so the same steps hash): none of those old answers may approve the new request.

const TOKEN = 'replay-operator-token';
const SLACK_SECRET = 'replay-slack-signing-secret';
const auth = { authorization: `Bearer ${TOKEN}` };

// Asks before the run, then again before the second step: two requests, same rendered steps.
const TWICE = `name: twice
match: ['alertname = "Twice"']
target: t
approval: { always: true, expiresAfter: 5m }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params:
  case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' }
steps:
  - name: drain
    http: { method: POST, path: '/drain?case={{params.case}}' }
  - name: failover
    approval: { always: true, expiresAfter: 5m }
    http: { method: POST, path: '/failover?case={{params.case}}' }
`;

let fleet: RoutedHttp;
let hooks: RoutedHttp;
let svc: TestService;

beforeAll(async () => {
  fleet = await startRoutedHttp();
  hooks = await startRoutedHttp();
  for (const path of ['/approval', '/slack']) hooks.route('POST', path, { status: 200 });
  for (const path of ['/drain', '/failover']) fleet.route('POST', path, { status: 200 });
  svc = await startTestService({
    runbooks: { 'twice.yaml': TWICE },
    inventory: `targets:\n  t: { http: { baseUrl: "${fleet.baseUrl}" } }\n`,
    env: {
      REMEDIATOR_OPERATOR_TOKEN: TOKEN,
      REMEDIATOR_APPROVAL_WEBHOOKS: `${hooks.baseUrl}/approval,slack+${hooks.baseUrl}/slack`,
      REMEDIATOR_SLACK_SIGNING_SECRET: SLACK_SECRET,
    },
  });
});
afterAll(async () => {
  await svc?.stop();
  await fleet?.stop();
  await hooks?.stop();
});

async function fire() {
  const kase = randomBytes(4).toString('hex');
  const fingerprint = randomBytes(8).toString('hex');
  const startsAt = new Date().toISOString();
  const body = payload([{ labels: { alertname: 'Twice', case: kase }, fingerprint, startsAt }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  return { id: runId('twice', fingerprint, startsAt), kase };
}

/** Waits until the run asks its `n`th request (1-based) and that request is pending. */
async function asking(id: string, n: number): Promise<RunRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
    if (run.status === 'awaiting_approval' && run.approvals?.length === n) return run;
    if (!['queued', 'running', 'awaiting_approval'].includes(run.status))
      throw new Error(`run ${id} ended ${run.status}: ${run.message}`);
    if (Date.now() > deadline) throw new Error(`run ${id} did not ask request ${n}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const calls = (path: string) => fleet.requests.filter((r) => r.method === 'POST' && r.url === path).length;
/** The approval messages for run `id`, once `count` have arrived (they are posted after the run asks). */
const messages = async (id: string, count: number) =>
  (await hooks.waitFor((r) => r.url === '/approval' && r.body.includes(id), count))
    .map((r) => JSON.parse(r.body) as Record<string, string>)
    .filter((m) => m['runId'] === id);
const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** The run still waits on its second request, and the second step never ran. */
async function stillAsking(id: string, kase: string) {
  const run = (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
  expect(run.status).toBe('awaiting_approval');
  expect(run.approvals?.at(-1)).toMatchObject({ state: 'pending', stepName: 'failover' });
  expect(calls(`/failover?case=${kase}`)).toBe(0);
}

describe('an approval answer counts for one request, once', () => {
  it('a used approve link does not approve the run’s next request (same steps hash)', async () => {
    const a = await fire();
    const first = await asking(a.id, 1);
    const link = (await messages(a.id, 1))[0]!['approveUrl']!;
    expect((await fetch(link, form({ by: 'alice' }))).status).toBe(200);
    const second = await asking(a.id, 2);
    expect(second.approvals![1]!.stepsHash).toBe(first.approvals![0]!.stepsHash);
    expect(calls(`/drain?case=${a.kase}`)).toBe(1);
    const replay = await fetch(link, form({ by: 'mallory' }));
    expect(replay.status).toBe(410);
    expect(await replay.text()).toContain('This link is for an earlier request');
    expect((await fetch(link)).status).toBe(410);
    await stillAsking(a.id, a.kase);
    // The second request's own link works, once.
    const own = (await messages(a.id, 2))[1]!['approveUrl']!;
    expect(own).not.toBe(link);
    expect((await fetch(own, form({ by: 'bob' }))).status).toBe(200);
    expect((await svc.waitForRun(a.id)).status).toBe('succeeded');
    expect(calls(`/failover?case=${a.kase}`)).toBe(1);
  });

  it('a replayed Slack callback (same signed body, seconds later) is refused, and never approves the next request', async () => {
    const a = await fire();
    await asking(a.id, 1);
    const [slack] = await hooks.waitFor((r) => r.url === '/slack' && r.body.includes(a.id));
    const actions = (
      JSON.parse(slack!.body) as { blocks: Array<{ type: string; elements?: unknown[] }> }
    ).blocks.find((b) => b.type === 'actions')!.elements as Array<{ action_id: string; value: string }>;
    const approve = actions.find((e) => e.action_id === 'remediator_approve')!;
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'U1', username: 'erin' },
        actions: [{ action_id: approve.action_id, value: approve.value }],
      }),
    }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
    const send = () =>
      fetch(`${svc.url}/hooks/slack/actions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature,
        },
        body,
      });
    const first = await send();
    expect(await first.json()).toMatchObject({ text: 'Approved by erin.' });
    await asking(a.id, 2);
    const replay = await send();
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: 'E_REPLAYED' });
    await stillAsking(a.id, a.kase);
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toMatch(/remediator_auth_failures_total\{kind="slack"\} [1-9]/);
  });

  it('an API answer names its request: a replayed one gets 410, one without a request id 400', async () => {
    const a = await fire();
    const first = await asking(a.id, 1);
    const body = { requestId: first.approvals![0]!.id, by: 'carol' };
    const url = `/api/v1/runs/${a.id}/approve`;
    // Ten copies at once (a retrying client): exactly one counts.
    const answers = await Promise.all(Array.from({ length: 10 }, () => svc.post(url, body, auth)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array<number>(9).fill(409)]);
    await asking(a.id, 2);
    const replay = await svc.post(url, body, auth);
    expect(replay.status).toBe(410);
    expect(await replay.json()).toMatchObject({ error: 'E_SUPERSEDED' });
    const unnamed = await svc.post(url, { by: 'carol' }, auth);
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ error: 'E_REQUEST_ID' });
    await stillAsking(a.id, a.kase);
    expect(calls(`/drain?case=${a.kase}`)).toBe(1);
  });

  it('a console form shown for one request does not answer the next one', async () => {
    const a = await fire();
    await asking(a.id, 1);
    const client = consoleClient(svc.url);
    expect((await client.login(TOKEN, 'dora')).status).toBe(303);
    const page = await client.get(`/ui/runs/${a.id}`);
    const request = /name="request" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect((await client.post(`/ui/runs/${a.id}/approve`, { back: 'run', request })).status).toBe(303);
    await asking(a.id, 2);
    // The same form again (a double submit, or the back button).
    const again = await client.post(`/ui/runs/${a.id}/approve`, { back: 'run', request });
    expect(again.status).toBe(410);
    expect(again.text).toContain('The run asked again since this page was shown');
    await stillAsking(a.id, a.kase);
  });

  it('gives a request recorded before requests had ids one on its next wake, so it can be answered', async () => {
    const a = await fire();
    await asking(a.id, 1);
    const redis = new Redis(svc.redis.url);
    try {
      const doc = JSON.parse((await redis.hget(`remediator:run:${a.id}`, 'doc'))!) as RunRecord;
      delete doc.approvals![0]!.id;
      await redis.hset(`remediator:run:${a.id}`, 'doc', JSON.stringify(doc));
    } finally {
      redis.disconnect();
    }
    const deadline = Date.now() + 25_000;
    let id: string | undefined;
    while (id === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      id = ((await (await svc.get(`/api/v1/runs/${a.id}`)).json()) as RunRecord).approvals?.[0]?.id;
    }
    expect(id).toMatch(/^[\w-]{16}$/);
    const answered = await svc.post(`/api/v1/runs/${a.id}/approve`, { requestId: id, by: 'upgrade' }, auth);
    expect(answered.status).toBe(200);
    await asking(a.id, 2);
  }, 40_000);
});
