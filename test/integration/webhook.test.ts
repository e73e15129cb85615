import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis } from '../../src/redis/embedded.ts';
import { fixture, payload } from '../harness/payloads.ts';
import { startTestService, type TestService } from '../harness/service.ts';

const RUNBOOK = `
name: noop
match: ['alertname = "HighMemoryUsage"']
target: "{{labels.instance}}"
steps:
  - name: ping
    http: { method: GET, path: /healthz }
`;
const INVENTORY = `
targets:
  app-1:8081: { http: { baseUrl: "http://127.0.0.1:9" } }
`;

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService({
    runbooks: { 'noop.yaml': RUNBOOK },
    inventory: INVENTORY,
    env: {
      REMEDIATOR_WEBHOOK_TOKEN: 's3cret-token',
      REMEDIATOR_WEBHOOK_USERNAME: 'am',
      REMEDIATOR_WEBHOOK_PASSWORD: 'pw',
      REMEDIATOR_BODY_LIMIT: '4096',
      REMEDIATOR_OPERATOR_TOKEN: 'op-token',
    },
  });
});
afterAll(async () => svc?.stop());

const bearer = { authorization: 'Bearer s3cret-token' };
const small = () => payload([{ labels: { alertname: 'Other' } }]);

describe('webhook authentication', () => {
  it('accepts the bearer token Alertmanager sends', async () => {
    expect((await svc.post('/hooks/alertmanager', small(), bearer)).status).toBe(202);
  });
  it('accepts basic auth', async () => {
    const basic = { authorization: `Basic ${Buffer.from('am:pw').toString('base64')}` };
    expect((await svc.post('/hooks/alertmanager', small(), basic)).status).toBe(202);
  });
  it.each([
    ['no header', {}],
    ['wrong token', { authorization: 'Bearer s3cret-tokem' }],
    ['wrong password', { authorization: `Basic ${Buffer.from('am:px').toString('base64')}` }],
    ['other scheme', { authorization: 'Token s3cret-token' }],
  ])('answers 401 with %s', async (_name, headers) => {
    const res = await svc.post('/hooks/alertmanager', small(), headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="remediator"');
  });
  it('protects the runs API with the operator token', async () => {
    expect((await svc.get('/api/v1/runs', {})).status).toBe(401);
    expect((await svc.get('/api/v1/runs', { authorization: 'Bearer op-token' })).status).toBe(200);
  });
});

describe('webhook payload validation', () => {
  it('answers 400 naming the bad field', async () => {
    const body = payload([{ labels: { alertname: 'X' } }]);
    (body.alerts[0] as Record<string, unknown>)['status'] = 'burning';
    const res = await svc.post('/hooks/alertmanager', body, bearer);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'invalid payload: body/alerts/0/status must be equal to one of the allowed values',
    );
  });
  it('answers 400 for a label value that is not a string (no coercion)', async () => {
    const body = payload([{ labels: { alertname: 'X' } }]);
    (body.alerts[0]!.labels as Record<string, unknown>)['n'] = 5;
    const res = await svc.post('/hooks/alertmanager', body, bearer);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'invalid payload: body/alerts/0/labels/n must be string',
    );
  });
  it('answers 400 for an unknown payload version', async () => {
    const res = await svc.post('/hooks/alertmanager', { ...small(), version: '3' }, bearer);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('body/version');
  });
  it('answers 400 for broken JSON', async () => {
    const res = await svc.post('/hooks/alertmanager', '{"version": "4", ', bearer);
    expect(res.status).toBe(400);
  });
  // A scraped app names its own labels: one alert labelled `__proto__` must not cost the whole group
  // (Alertmanager drops a notification answered 4xx). The key is removed before any code sees it.
  it('drops a __proto__ key and keeps the notification, every other alert of it included', async () => {
    const body = payload([
      { labels: { alertname: 'Other', instance: 'a' } },
      { labels: { alertname: 'Other', PROTO: 'x' } },
    ]);
    const text = JSON.stringify({ ...body, PROTO: { polluted: true } }).replaceAll('"PROTO"', '"__proto__"');
    const res = await svc.post('/hooks/alertmanager', text, bearer);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ alerts: 2 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it.each([
    [
      'constructor.prototype',
      '{"version":"4","status":"firing","alerts":[],"constructor":{"prototype":{"polluted":true}}}',
    ],
  ])('answers 400 for a %s key', async (_name, text) => {
    const res = await svc.post('/hooks/alertmanager', text, bearer);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /^body rejected: Object contains forbidden prototype property/,
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('answers 413 over the body limit', async () => {
    const big = payload([{ labels: { alertname: 'X', filler: 'x'.repeat(5000) } }]);
    expect((await svc.post('/hooks/alertmanager', big, bearer)).status).toBe(413);
    // Alertmanager drops a 4xx for good: the refusal is counted and logged with what to do.
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toContain('remediator_notifications_total{result="too_large"} 1');
    expect(svc.logs()).toContain('its body is over REMEDIATOR_BODY_LIMIT');
  });
});

describe('truncated notifications', () => {
  it('counts and records the alerts Alertmanager left out', async () => {
    const res = await svc.post('/hooks/alertmanager', fixture('03-truncated-max-alerts-2'), bearer);
    expect(await res.json()).toMatchObject({ alerts: 2, truncatedAlerts: 1 });
    const metrics = await (await svc.get('/metrics')).text();
    expect(metrics).toContain('remediator_alerts_truncated_total 1');
    const events = (await (await svc.get('/api/v1/events')).json()) as { events: unknown[] };
    expect(events.events[0]).toMatchObject({ type: 'alert:truncated', count: 1, received: 2, receiver: 'r' });
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await svc.get('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await svc.get('/readyz')).json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', runbooks: 1 },
    });
  });
});

describe('Redis going away', () => {
  it('answers 503 (so Alertmanager retries), is not ready, and recovers when Redis is back', async () => {
    const port = svc.redis.port;
    await svc.redis.stop();
    const down = await svc.post('/hooks/alertmanager', fixture('01-firing-group-of-3'), bearer);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { code: string }).code).toBe('E_REDIS');
    expect((await svc.get('/readyz')).status).toBe(503);
    // A Redis that comes back answers to the password the service's clients hold.
    const dataDir = join(svc.dir, 'redis2');
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(join(dataDir, 'redis.password'), `${svc.redis.password}\n`, { mode: 0o600 });
    const back = await startEmbeddedRedis({ dataDir, port });
    try {
      let status = 0;
      for (let i = 0; i < 100 && status !== 202; i++) {
        status = (await svc.post('/hooks/alertmanager', fixture('01-firing-group-of-3'), bearer)).status;
        if (status !== 202) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(202);
      expect((await svc.get('/readyz')).status).toBe(200);
    } finally {
      await back.stop();
    }
  });
});
