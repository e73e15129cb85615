import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consoleClient } from '../harness/console-client.ts';
import { payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

// A guesser hammers every door that takes a secret. Every test comes from 127.0.0.1, so the
// throttle's state is wiped between tests (it is per client address, in Redis).

const TOKEN = 'throttle-operator-token';
const WEBHOOK_TOKEN = 'throttle-webhook-token';
const METRICS_TOKEN = 'throttle-metrics-token';
let svc: TestService;
let redis: Redis;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: {
      'noop.yaml': `name: noop\nmatch: ['alertname = "X"']\ntarget: t\nsteps:\n  - name: s\n    http: { path: /x }\n`,
    },
    inventory: `targets:\n  t: { http: { baseUrl: "http://127.0.0.1:9" } }\n`,
    env: {
      REMEDIATOR_OPERATOR_TOKEN: TOKEN,
      REMEDIATOR_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      REMEDIATOR_METRICS_TOKEN: METRICS_TOKEN,
      REMEDIATOR_PROTECT_DOCS: 'true',
    },
  });
  redis = new Redis(svc.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await svc?.stop();
});
beforeEach(async () => {
  const keys = await redis.keys('remediator:auth:*');
  if (keys.length > 0) await redis.del(...keys);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function metric(name: string, kind: string): Promise<number> {
  // Prometheus scrapes from another address: lift this address's block for the scrape.
  const blocked = await redis.keys('remediator:auth:blocked:*');
  if (blocked.length > 0) await redis.del(...blocked);
  const text = await (await svc.get('/metrics', bearer(METRICS_TOKEN))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{kind="${kind}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

describe('failed logins are throttled per client address', () => {
  it('300 wrong operator tokens: 11 are answered 401, then 429 with Retry-After, even for the right token', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 300; i++) {
      const res = await svc.get('/api/v1/runs', bearer(`guess-${i}`));
      statuses.push(res.status);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
      await res.body?.cancel();
    }
    expect(statuses.slice(0, 11)).toEqual(Array<number>(11).fill(401));
    expect(statuses[11]).toBe(429);
    // Blocks double (1 s, 2 s, 4 s ...): a few more guesses get through while the loop runs, not hundreds.
    expect(statuses.filter((s) => s === 401).length).toBeLessThan(16);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const blocked = await svc.get('/api/v1/runs', bearer(TOKEN));
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ error: 'too_many_failures' });
    expect(await metric('remediator_auth_failures_total', 'api')).toBeGreaterThanOrEqual(11);
    expect(await metric('remediator_auth_throttled_total', 'api')).toBeGreaterThanOrEqual(280);
  });

  it('lets the right token in once the block is over', async () => {
    for (let i = 0; i < 11; i++) await svc.get('/api/v1/runs', bearer('wrong'));
    expect((await svc.get('/api/v1/runs', bearer(TOKEN))).status).toBe(429);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await svc.get('/api/v1/runs', bearer(TOKEN))).status).toBe(200);
  });

  it('throttles wrong webhook credentials the same way', async () => {
    const body = payload([{ labels: { alertname: 'X' } }]);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push((await svc.post('/hooks/alertmanager', body, bearer(`guess-${i}`))).status);
    expect(statuses.slice(0, 11)).toEqual(Array<number>(11).fill(401));
    expect(statuses.slice(11)).toEqual([429, 429, 429, 429]);
    expect(await metric('remediator_auth_failures_total', 'webhook')).toBeGreaterThanOrEqual(11);
  });

  it('throttles the console login form and Basic auth on console pages', async () => {
    const client = consoleClient(svc.url);
    await client.get('/ui/login');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await client.post('/ui/login', { token: `guess-${i}` })).status);
    expect(statuses.slice(0, 11)).toEqual(Array<number>(11).fill(401));
    const throttled = await client.post('/ui/login', { token: TOKEN });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled.text).toContain('Too many wrong tokens came from your address');
    const basic = `Basic ${Buffer.from(`eve:${TOKEN}`).toString('base64')}`;
    expect((await client.get('/ui/runs', { authorization: basic })).status).toBe(429);
    expect(await metric('remediator_auth_failures_total', 'console')).toBeGreaterThanOrEqual(11);
  });
});

describe('/metrics and /docs can require a token', () => {
  it('takes only the metrics token on /metrics and only the operator token on /docs', async () => {
    expect((await svc.get('/metrics', {})).status).toBe(401);
    expect((await svc.get('/metrics', bearer(TOKEN))).status).toBe(401);
    expect((await svc.get('/metrics', bearer(METRICS_TOKEN))).status).toBe(200);
    for (const path of ['/docs', '/docs/json']) {
      expect((await svc.get(path, {})).status, path).toBe(401);
      expect((await svc.get(path, bearer(METRICS_TOKEN))).status, path).toBe(401);
    }
    expect((await svc.get('/docs/json', bearer(TOKEN))).status).toBe(200);
  });
});

describe('console sessions are revocable', () => {
  it('a copied cookie is refused after logout', async () => {
    const client = consoleClient(svc.url);
    expect((await client.login(TOKEN, 'alice')).status).toBe(303);
    const copied = client.cookie()!;
    const withCopy = () =>
      fetch(`${svc.url}/ui/runs`, {
        headers: { cookie: `remediator_console=${copied}` },
        redirect: 'manual',
      });
    expect((await withCopy()).status).toBe(200);
    await client.get('/ui/runs');
    expect((await client.post('/ui/logout', {})).status).toBe(303);
    const after = await withCopy();
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fruns');
    // A fresh login still works, and is its own session.
    const again = consoleClient(svc.url);
    expect((await again.login(TOKEN, 'alice')).status).toBe(303);
    expect(again.cookie()).not.toBe(copied);
    expect((await again.get('/ui/runs')).status).toBe(200);
  });
});
