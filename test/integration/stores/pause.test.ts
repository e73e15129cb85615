import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisPauseStore } from '../../../src/stores/redis-pause-store.ts';
import type { Pause, PauseStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

let server: TestRedis;
let redis: Redis;
let clock = T0;
let pauses: PauseStore;

function pause(id: string, createdAt: number, expiresAt: number, matchers: string[] = []): Pause {
  return {
    id,
    matchers,
    comment: `pause ${id}`,
    createdBy: 'ops',
    createdAt: iso(createdAt),
    expiresAt: iso(expiresAt),
  };
}

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  pauses = createRedisPauseStore(redis, 'remediator:', { clock: () => clock });
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
  clock = T0;
});

describe('redis pause store', () => {
  it('round-trips a pause and keeps all pauses in one hash', async () => {
    const p = pause('p1', T0, T0 + HOUR, ['alertname="DiskFull"', 'instance=~"db.*"']);
    await pauses.create(p);
    expect(await pauses.list()).toEqual([p]);
    expect(await redis.keys('*')).toEqual(['remediator:pauses']);
  });

  it('is active while now is before expiresAt, not from the millisecond it expires', async () => {
    await pauses.create(pause('p1', T0, T0 + HOUR));
    expect(await pauses.active(T0 + HOUR - 1)).toHaveLength(1);
    expect(await pauses.active(T0 + HOUR)).toEqual([]);
    expect(await pauses.active(T0 + DAY)).toEqual([]);
  });

  it('lists active and expired pauses, newest first', async () => {
    await pauses.create(pause('old', T0 - 2 * HOUR, T0 - HOUR));
    await pauses.create(pause('new', T0, T0 + HOUR));
    await pauses.create(pause('mid', T0 - HOUR, T0 + HOUR));
    expect((await pauses.list()).map((p) => p.id)).toEqual(['new', 'mid', 'old']);
    expect((await pauses.active(T0)).map((p) => p.id)).toEqual(['new', 'mid']);
  });

  it('expire() ends a pause at now and keeps it listed', async () => {
    await pauses.create(pause('p1', T0, T0 + HOUR, ['job="node"']));
    expect(await pauses.expire('p1', T0 + 10)).toBe(true);
    expect(await pauses.active(T0 + 9)).toHaveLength(1);
    expect(await pauses.active(T0 + 10)).toEqual([]);
    expect(await pauses.list()).toEqual([{ ...pause('p1', T0, T0 + 10, ['job="node"']) }]);
  });

  it('expire() of an unknown id is false and creates nothing', async () => {
    expect(await pauses.expire('nope', T0)).toBe(false);
    expect(await redis.dbsize()).toBe(0);
  });

  it('expire() of a pause already over is true and keeps the time it really ended', async () => {
    await pauses.create(pause('p1', T0 - HOUR, T0 - 10));
    expect(await pauses.expire('p1', T0)).toBe(true);
    expect((await pauses.list())[0]?.expiresAt).toBe(iso(T0 - 10));
  });

  it('concurrent expire() from two connections ends the pause at the earlier time', async () => {
    const other = new Redis(server.url);
    try {
      const second = createRedisPauseStore(other, 'remediator:', { clock: () => clock });
      for (let round = 0; round < 20; round++) {
        await pauses.create(pause(`p${round}`, T0, T0 + HOUR));
        const results = await Promise.all([
          pauses.expire(`p${round}`, T0 + 200),
          second.expire(`p${round}`, T0 + 100),
        ]);
        expect(results).toEqual([true, true]);
      }
      for (const p of await pauses.list()) expect(p.expiresAt).toBe(iso(T0 + 100));
    } finally {
      await other.quit();
    }
  });

  it('list() deletes pauses that expired more than 24 h ago, by its clock', async () => {
    await pauses.create(pause('edge', T0 - 2 * DAY, T0 - DAY));
    await pauses.create(pause('gone', T0 - 2 * DAY, T0 - DAY - 1));
    await pauses.create(pause('live', T0, T0 + HOUR));
    expect((await pauses.list()).map((p) => p.id)).toEqual(['live', 'edge']);
    expect((await redis.hkeys('remediator:pauses')).sort()).toEqual(['edge', 'live']);
    clock = T0 + 1;
    expect((await pauses.list()).map((p) => p.id)).toEqual(['live']);
    expect(await pauses.expire('edge', clock)).toBe(false);
  });

  it('active() does not delete anything', async () => {
    await pauses.create(pause('gone', T0 - 3 * DAY, T0 - 2 * DAY));
    expect(await pauses.active(T0)).toEqual([]);
    expect(await redis.hlen('remediator:pauses')).toBe(1);
  });

  it('keeps expired pauses for keepExpiredMs when given', async () => {
    const brief = createRedisPauseStore(redis, 'remediator:', { clock: () => T0, keepExpiredMs: HOUR });
    await brief.create(pause('recent', T0 - 2 * HOUR, T0 - HOUR));
    await brief.create(pause('older', T0 - 2 * HOUR, T0 - HOUR - 1));
    expect((await brief.list()).map((p) => p.id)).toEqual(['recent']);
  });
});
