import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStatsStore } from '../../../src/stores/redis-stats-store.ts';
import type { StatsStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

let server: TestRedis;
let redis: Redis;
let stats: StatsStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  stats = createRedisStatsStore(redis, 'remediator:');
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis stats store', () => {
  it('counts attempts and successes per step', async () => {
    await stats.record('disk', 'DiskFull', 'clean', true);
    await stats.record('disk', 'DiskFull', 'clean', false);
    await stats.record('disk', 'DiskFull', 'clean', true);
    await stats.record('disk', 'DiskFull', 'restart', false);
    expect(await stats.get('disk', 'DiskFull')).toEqual({
      clean: { attempts: 3, successes: 2 },
      restart: { attempts: 1, successes: 0 },
    });
  });

  it('keeps runbooks and alertnames apart', async () => {
    await stats.record('disk', 'DiskFull', 'clean', true);
    await stats.record('disk', 'DiskAlmostFull', 'clean', false);
    await stats.record('disk2', 'DiskFull', 'clean', false);
    expect(await stats.get('disk', 'DiskFull')).toEqual({ clean: { attempts: 1, successes: 1 } });
    expect(await stats.get('disk', 'Other')).toEqual({});
  });

  it('round-trips names holding `:`, spaces, quotes and `__proto__` through all()', async () => {
    // Without encoding, ("a:b", "c") and ("a", "b:c") would share one hash.
    await stats.record('a:b', 'c', 'step:one', true);
    await stats.record('a', 'b:c', 'step one', false);
    await stats.record('disk cleanup', 'Disk "Full"', '__proto__', true);
    await stats.record('disk cleanup', 'Disk "Full"', 'attempts', false);
    expect(await stats.all()).toEqual([
      { runbook: 'a', alertname: 'b:c', step: 'step one', attempts: 1, successes: 0 },
      { runbook: 'a:b', alertname: 'c', step: 'step:one', attempts: 1, successes: 1 },
      { runbook: 'disk cleanup', alertname: 'Disk "Full"', step: '__proto__', attempts: 1, successes: 1 },
      { runbook: 'disk cleanup', alertname: 'Disk "Full"', step: 'attempts', attempts: 1, successes: 0 },
    ]);
    expect(await stats.get('a:b', 'c')).toEqual({ 'step:one': { attempts: 1, successes: 1 } });
    expect(Object.keys(await stats.get('disk cleanup', 'Disk "Full"')).sort()).toEqual([
      '__proto__',
      'attempts',
    ]);
  });

  it('loses no count under concurrent records from two connections', async () => {
    const other = new Redis(server.url);
    try {
      const second = createRedisStatsStore(other, 'remediator:');
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? stats : second).record('disk', 'DiskFull', 'clean', i % 4 === 0),
        ),
      );
      expect(await stats.get('disk', 'DiskFull')).toEqual({ clean: { attempts: 100, successes: 25 } });
    } finally {
      await other.quit();
    }
  });

  it('has nothing for all() on an empty Redis', async () => {
    expect(await stats.all()).toEqual([]);
  });
});
