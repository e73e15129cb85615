import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { buildRunbookIndex } from '../../src/match/select.ts';
import { createPolicyStores } from '../../src/policy/stores.ts';
import { createAuthStores } from '../../src/stores/auth-stores.ts';
import { RUN_QUEUE } from '../../src/queue/producer.ts';
import { createFairOrder } from '../../src/queue/fair.ts';
import { createRunWriter } from '../../src/queue/run-writer.ts';
import { createRedisAuditLog } from '../../src/record/events.ts';
import { createMetrics } from '../../src/record/metrics.ts';
import { createRedisRunStore } from '../../src/record/runs-store.ts';
import { closeRedis, createRedis } from '../../src/redis/connect.ts';
import type { RunRecord } from '../../src/types.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const TOKEN = 'no-approvals-token';
const NOW = new Date();
const auth = { authorization: `Bearer ${TOKEN}` };

/** A run that waits for approval, as the runner records it. */
const WAITING: RunRecord = {
  id: 'waiting-run-1',
  runbook: 'risky',
  target: 't',
  status: 'awaiting_approval',
  alert: {
    status: 'firing',
    labels: { alertname: 'Risky' },
    annotations: {},
    startsAt: NOW.toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: 'f1',
  },
  source: { receiver: 'remediator', groupKey: '{}', externalURL: '' },
  receivedAt: NOW.toISOString(),
  steps: [
    {
      name: 'restart',
      status: 'pending',
      action: { kind: 'http', method: 'POST', path: '/restart', headers: {}, expect: [], timeoutMs: 1000 },
    },
  ],
  approvals: [
    {
      state: 'pending',
      scope: 'run',
      step: 0,
      stepName: 'restart',
      why: ['always'],
      requestedAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 600_000).toISOString(),
      onExpiry: 'deny',
      stepsHash: 'h',
    },
  ],
};

let redis: TestRedis;
let client: Redis;
let queue: Queue;
let app: FastifyInstance;

// The app as buildApp makes it for a process without an approval service (real Redis-backed stores).
beforeAll(async () => {
  redis = await startTestRedis();
  const log = pino({ level: 'silent' });
  client = createRedis(redis.url, 'worker', log);
  queue = new Queue(RUN_QUEUE, { connection: client, prefix: 'remediator' });
  const registry = new Registry();
  const metrics = createMetrics(registry, []);
  const store = createRedisRunStore(client, { prefix: 'remediator:' });
  await store.create([WAITING]);
  app = await buildApp({
    settings: { bodyLimit: 1 << 20, webhookAuth: {}, operatorToken: TOKEN },
    webhook: false,
    logger: log,
    registry,
    metrics,
    index: buildRunbookIndex([]),
    runbookCount: 0,
    producer: {
      queue,
      store,
      metrics,
      fair: createFairOrder(client, 'remediator:'),
      writer: createRunWriter(queue, { prefix: 'remediator:', maxRuns: 10_000 }),
    },
    store,
    audit: createRedisAuditLog(client, 'remediator:'),
    pingRedis: async () => true,
    queueCounts: async () => ({}),
    stores: createPolicyStores(client, 'remediator:'),
    authStores: createAuthStores(client, 'remediator:'),
    stabilizeMs: 600_000,
    now: () => new Date(),
  });
});
afterAll(async () => {
  await app?.close();
  await queue?.close();
  if (client) await closeRedis(client);
  await redis?.stop();
});

describe('console in a process without an approval service', () => {
  it('shows waiting runs without Approve/Deny, says why, and refuses an answer', async () => {
    const page = await app.inject({ method: 'GET', url: '/ui/approvals', headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Approvals are not enabled in this process');
    expect(page.body).toContain('href="/ui/runs/waiting-run-1"');
    expect(page.body).not.toContain('/approve"');
    const detail = await app.inject({ method: 'GET', url: '/ui/runs/waiting-run-1', headers: auth });
    expect(detail.body).toContain('This process cannot record answers');
    expect(detail.body).not.toContain('<button class="approve">');

    // A page with a form (the pauses page) gives this caller's CSRF token.
    const pauses = await app.inject({ method: 'GET', url: '/ui/pauses', headers: auth });
    const csrf = /name="csrf" value="([^"]+)"/.exec(pauses.body)![1]!;
    const answer = await app.inject({
      method: 'POST',
      url: '/ui/runs/waiting-run-1/approve',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf, back: 'run' }).toString(),
    });
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toContain('Approvals are not enabled in this process');
  });
});
