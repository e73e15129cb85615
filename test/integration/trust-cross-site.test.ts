import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runId } from '../../src/ingest/run-id.ts';
import type { RunRecord } from '../../src/types.ts';
import { payload } from '../harness/payloads.ts';
import { startRoutedHttp, type RoutedHttp } from '../harness/routed-http.ts';
import { startTestService, type TestService } from '../harness/service.ts';

// A newcomer's start: no operator token, no webhook token. A page on another site (or a DNS name
// rebound to loopback) posts to the API from the operator's browser; a curl from anywhere tries too.

const RISKY = `name: risky
match: ['alertname = "Risky"']
target: t
approval: { always: true, expiresAfter: 5m }
policy: { cooldown: 0s, maxRunsPerTarget: "1000 per 1h" }
params:
  case: { from: '{{labels.case}}', pattern: '[A-Za-z0-9_-]{1,64}' }
steps:
  - name: restart
    http: { method: POST, path: '/restart?case={{params.case}}' }
`;
const EVIL = { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' };

let fleet: RoutedHttp;
let hooks: RoutedHttp;
let svc: TestService;

beforeAll(async () => {
  fleet = await startRoutedHttp();
  hooks = await startRoutedHttp();
  hooks.route('POST', '/approval', { status: 200 });
  fleet.route('POST', '/restart', { status: 200 });
  svc = await startTestService({
    runbooks: { 'risky.yaml': RISKY },
    inventory: `targets:\n  t: { http: { baseUrl: "${fleet.baseUrl}" } }\n`,
    env: { REMEDIATOR_APPROVAL_WEBHOOKS: `${hooks.baseUrl}/approval` },
  });
});
afterAll(async () => {
  await svc?.stop();
  await fleet?.stop();
  await hooks?.stop();
});

async function waiting(): Promise<{ id: string; kase: string; requestId: string }> {
  const kase = randomBytes(4).toString('hex');
  const fingerprint = randomBytes(8).toString('hex');
  const startsAt = new Date().toISOString();
  const body = payload([{ labels: { alertname: 'Risky', case: kase }, fingerprint, startsAt }]);
  expect((await svc.post('/hooks/alertmanager', body)).status).toBe(202);
  const id = runId('risky', fingerprint, startsAt);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = (await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord;
    if (run.status === 'awaiting_approval') return { id, kase, requestId: run.approvals!.at(-1)!.id! };
    if (Date.now() > deadline) throw new Error(`run ${id} did not wait for approval`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const restarts = (kase: string) => fleet.requests.filter((r) => r.url === `/restart?case=${kase}`).length;
const status = async (id: string) =>
  ((await (await svc.get(`/api/v1/runs/${id}`)).json()) as RunRecord).status;

describe('without a configured operator token', () => {
  it('generates one into the data directory (mode 0600), logs where (not what), and warns about the open API', () => {
    const file = join(svc.dir, 'data', 'operator-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(svc.operatorToken).toMatch(/^[\w-]{43}$/);
    expect(svc.logs()).toContain(`NO OPERATOR TOKEN SET: generated one in ${file}`);
    expect(svc.logs()).toContain('GET /api/v1/* is OPEN');
    expect(svc.logs()).toContain('NO WEBHOOK AUTHENTICATION');
    expect(svc.logs()).not.toContain(svc.operatorToken);
  });

  it('refuses a cross-site approve (403), and a same-site one without the token (401): the step never runs', async () => {
    const a = await waiting();
    const url = `/api/v1/runs/${a.id}/approve`;
    const body = { requestId: a.requestId, by: 'evil' };
    const crossSite = await svc.post(url, body, EVIL);
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'cross_site' });
    // Even with the token (a browser that has it, e.g. through Basic auth): another site never writes.
    const withToken = { ...EVIL, authorization: `Bearer ${svc.operatorToken}` };
    expect((await svc.post(url, body, withToken)).status).toBe(403);
    const odd: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
      { origin: 'not a url' },
    ];
    for (const headers of odd)
      expect((await svc.post(url, body, headers)).status, JSON.stringify(headers)).toBe(403);
    expect((await svc.post(url, body)).status).toBe(401);
    expect(await status(a.id)).toBe('awaiting_approval');
    expect(restarts(a.kase)).toBe(0);
    // The operator, with the generated token, from this origin.
    const ok = await svc.post(url, body, { authorization: `Bearer ${svc.operatorToken}`, origin: svc.url });
    expect(ok.status).toBe(200);
    expect((await svc.waitForRun(a.id)).status).toBe('succeeded');
    expect(restarts(a.kase)).toBe(1);
  });

  it('refuses cross-site writes on every other route too: pauses, the webhook, Slack, the console, links', async () => {
    const auth = { authorization: `Bearer ${svc.operatorToken}` };
    const pause = { matchers: ['alertname="Risky"'], duration: '1h', comment: 'evil' };
    expect((await svc.post('/api/v1/pauses', pause, { ...EVIL, ...auth })).status).toBe(403);
    expect((await svc.post('/api/v1/pauses', pause)).status).toBe(401);
    const del = await fetch(`${svc.url}/api/v1/pauses/x`, { method: 'DELETE', headers: EVIL });
    expect(del.status).toBe(403);
    const alert = payload([{ labels: { alertname: 'Risky', case: 'evil' } }]);
    expect((await svc.post('/hooks/alertmanager', alert, EVIL)).status).toBe(403);
    expect((await svc.post('/ui/login', 'token=x', EVIL)).status).toBe(403);
    expect(((await (await svc.get('/api/v1/pauses')).json()) as { pauses: unknown[] }).pauses).toEqual([]);
  });

  it('keeps reads open only under names no other site can rebind (IP literals, localhost)', async () => {
    const port = Number(new URL(svc.url).port);
    const get = (host: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/api/v1/runs', headers: { host, ...headers } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get(`127.0.0.1:${port}`)).toBe(200);
    expect(await get(`localhost:${port}`)).toBe(200);
    // evil.example resolved to 127.0.0.1 by its owner: the page there is "same-origin" with us.
    expect(await get(`evil.example:${port}`)).toBe(401);
    expect(await get(`evil.example:${port}`, { authorization: `Bearer ${svc.operatorToken}` })).toBe(200);
  });

  it('answers an odd Origin on the approval link page with a 4xx, never a 500', async () => {
    const a = await waiting();
    const [request] = await hooks.waitFor((r) => r.url === '/approval' && r.body.includes(a.id));
    const message = JSON.parse(request!.body) as Record<string, string>;
    for (const origin of ['null', 'garbage', 'http://[', 'http://evil.example']) {
      const res = await fetch(message['approveUrl']!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: 'by=mallory',
      });
      expect(res.status, origin).toBe(403);
    }
    expect(await status(a.id)).toBe('awaiting_approval');
    expect(restarts(a.kase)).toBe(0);
  });
});
