import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRunStore } from '../../src/record/runs-store.ts';
import type { RunRecord } from '../../src/types.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const run = (id: string, status: RunRecord['status'], at: number): RunRecord => ({
  id,
  runbook: 'rb',
  target: 't',
  status,
  alert: {
    status: 'firing',
    labels: { alertname: 'A' },
    annotations: {},
    startsAt: 'x',
    endsAt: '',
    generatorURL: '',
    fingerprint: id,
  },
  source: { receiver: 'r', groupKey: 'g', externalURL: '' },
  receivedAt: new Date(at).toISOString(),
  steps: [],
});

describe('run store', () => {
  it('trims the oldest runs beyond maxRuns, but never one still queued or running', async () => {
    const store = createRedisRunStore(client, { prefix: 'trim:', maxRuns: 100 });
    await store.create([
      run('live-q', 'queued', 1),
      run('live-r', 'queued', 2),
      run('old-done', 'queued', 3),
    ]);
    await store.claim('live-r', 'now');
    await store.save({ ...run('old-done', 'succeeded', 3) });
    const more = Array.from({ length: 100 }, (_, i) => run(`n${i}`, 'queued', 10 + i));
    await store.create(more);
    expect(await store.get('live-q')).toMatchObject({ status: 'queued' });
    expect(await store.get('live-r')).toMatchObject({ status: 'running' });
    expect(await store.get('old-done')).toBeUndefined();
  });

  it('reads the status a claim set, even before the record is saved again', async () => {
    const store = createRedisRunStore(client, { prefix: 'claim:' });
    await store.create([run('c1', 'queued', 1)]);
    expect((await store.claim('c1', 'now')).kind).toBe('claimed');
    expect(await store.get('c1')).toMatchObject({ status: 'running' });
    expect((await store.cancelQueued(['c1'], 'resolved', 'x', 'now')).ended.length).toBe(0);
  });

  it('refuses a save from an attempt older than the stored fence', async () => {
    const store = createRedisRunStore(client, { prefix: 'fence:' });
    await store.create([run('f1', 'queued', 1)]);
    await store.save({ ...run('f1', 'running', 1), fence: 5 });
    await expect(store.save({ ...run('f1', 'succeeded', 1), fence: 4 })).rejects.toMatchObject({
      code: 'E_SUPERSEDED',
    });
    await expect(store.assertCurrent({ ...run('f1', 'running', 1), fence: 4 })).rejects.toMatchObject({
      code: 'E_SUPERSEDED',
    });
    expect(await store.get('f1')).toMatchObject({ status: 'running', fence: 5 });
  });
});
