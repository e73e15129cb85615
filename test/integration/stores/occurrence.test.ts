import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisOccurrenceStore } from '../../../src/stores/redis-occurrence-store.ts';
import type { OccurrenceStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

let server: TestRedis;
let redis: Redis;
let occurrences: OccurrenceStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  occurrences = createRedisOccurrenceStore(redis, 'remediator:');
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis occurrence store', () => {
  it('answers in the order asked, for resolved and unknown occurrences alike', async () => {
    await occurrences.markResolved(['fp1:2024-05-01T10:00:00Z', 'fp3:2024-05-01T10:00:00Z'], 60_000);
    expect(
      await occurrences.areResolved([
        'fp3:2024-05-01T10:00:00Z',
        'fp2:2024-05-01T10:00:00Z',
        'fp1:2024-05-01T10:00:00Z',
        'fp1:2024-05-01T11:00:00Z',
      ]),
    ).toEqual([true, false, true, false]);
  });

  it('handles empty lists without a round trip', async () => {
    await occurrences.markResolved([], 60_000);
    expect(await occurrences.areResolved([])).toEqual([]);
    expect(await redis.dbsize()).toBe(0);
  });

  it('keeps one key per occurrence with the TTL', async () => {
    await occurrences.markResolved(['a:b'], 60_000);
    expect(await redis.keys('*')).toEqual(['remediator:resolved:a:b']);
    const pttl = await redis.pttl('remediator:resolved:a:b');
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('forgets an occurrence once its TTL has passed, and a second mark renews it', async () => {
    await occurrences.markResolved(['short', 'renewed'], 50);
    await occurrences.markResolved(['renewed'], 60_000);
    await sleep(120);
    expect(await occurrences.areResolved(['short', 'renewed'])).toEqual([false, true]);
  });

  it('rounds a fractional or zero TTL up to a valid PX', async () => {
    await occurrences.markResolved(['zero'], 0);
    await occurrences.markResolved(['fraction'], 1_000.4);
    expect(await redis.pttl('remediator:resolved:fraction')).toBeGreaterThan(0);
  });

  it('marks a whole storm in one call', async () => {
    const many = Array.from({ length: 2_000 }, (_, i) => `fp${i}:2024-05-01T10:00:00Z`);
    await occurrences.markResolved(many, 60_000);
    const answers = await occurrences.areResolved(many);
    expect(answers.every(Boolean)).toBe(true);
  });
});
