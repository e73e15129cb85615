import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStormStore, STORM_TARGETS_LISTED } from '../../../src/stores/redis-storm-store.ts';
import type { StormStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_040_000; // the start of a minute
const P = 'remediator:';

let server: TestRedis;
let redis: Redis;
let storms: StormStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  storms = createRedisStormStore(redis, P);
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

const arrive = (runId: string, target = `t-${runId}`, receivedAt = T0, runbook = 'rb') =>
  storms.arrive({ runbook, runId, target, receivedAt, limit: 3, windowMs: 60_000 });

describe('RedisStormStore', () => {
  it('admits the first `limit` runs of a window, again without counting them, and refuses the rest', async () => {
    for (const id of ['a', 'b', 'c']) expect(await arrive(id)).toEqual({ excess: false });
    // A waiting run passes the gate again: still admitted, and not counted twice.
    expect(await arrive('a')).toEqual({ excess: false });
    expect(await arrive('d')).toEqual({
      excess: true,
      arrivals: 4,
      pages: true,
      targets: ['t-a', 't-b', 't-c', 't-d'],
      distinctTargets: 4,
    });
    expect(await arrive('e')).toMatchObject({ excess: true, arrivals: 5, pages: false });
    // Another window, another runbook: counted on their own.
    expect(await arrive('f', 't-f', T0 + 60_000)).toEqual({ excess: false });
    expect(await arrive('g', 't-g', T0, 'other')).toEqual({ excess: false });
  });

  it('pages once per storm, even across windows, and its first run again on a retry', async () => {
    for (const id of ['a', 'b', 'c']) await arrive(id);
    expect(await arrive('d')).toMatchObject({ pages: true });
    expect(await arrive('d')).toMatchObject({ pages: true });
    for (const id of ['a2', 'b2', 'c2']) await arrive(id, id, T0 + 60_000);
    expect(await arrive('d2', 'd2', T0 + 60_000)).toMatchObject({ excess: true, pages: false });
    // The storm is over two windows after its last excess run: the next one pages again.
    await redis.del(`${P}storm:rb`);
    expect(await arrive('e2', 'e2', T0 + 60_000)).toMatchObject({ excess: true, pages: true });
  });

  it('lists the first targets only, and counts the rest', async () => {
    for (let i = 0; i < 200; i++) await arrive(`r${i}`, `host-${i % 100}`);
    const last = await arrive('last', 'host-0');
    expect(last).toMatchObject({ excess: true, arrivals: 201 });
    if (!last.excess) throw new Error('not excess');
    expect(last.targets).toHaveLength(STORM_TARGETS_LISTED);
    expect(last.targets[0]).toBe('host-0');
    expect(last.distinctTargets).toBeGreaterThanOrEqual(98);
    expect(last.distinctTargets).toBeLessThanOrEqual(102);
  });
});
