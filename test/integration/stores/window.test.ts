import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisWindowStore } from '../../../src/stores/redis-window-store.ts';
import type { WindowStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;
const P = 'remediator:';

let server: TestRedis;
let redis: Redis;
let other: Redis;
let windows: WindowStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  other = new Redis(server.url);
  windows = createRedisWindowStore(redis, P);
});

afterAll(async () => {
  await Promise.all([redis?.quit(), other?.quit()]);
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis window store', () => {
  it('allows `limit` events per window and refuses the next, naming the window', async () => {
    const hourly = [{ key: 'runbook:disk', limit: 3, windowMs: 1_000 }];
    for (const t of [0, 100, 200]) expect(await windows.take(hourly, T0 + t)).toEqual({ ok: true });
    expect(await windows.take(hourly, T0 + 300)).toEqual({ ok: false, full: 'runbook:disk' });
    expect(await redis.zcard(`${P}window:runbook:disk`)).toBe(3);
  });

  it('counts an event until exactly windowMs after it', async () => {
    const w = [{ key: 'w', limit: 2, windowMs: 1_000 }];
    await windows.take(w, T0);
    await windows.take(w, T0 + 100);
    expect(await windows.take(w, T0 + 999)).toEqual({ ok: false, full: 'w' });
    // At T0 + 1000 the event of T0 has left; the one of T0 + 100 is still in.
    expect(await windows.take(w, T0 + 1_000)).toEqual({ ok: true });
    expect(await windows.take(w, T0 + 1_000)).toEqual({ ok: false, full: 'w' });
    expect(await windows.take(w, T0 + 1_100)).toEqual({ ok: true });
    // ioredis 6 speaks RESP3: WITHSCORES answers [member, score] pairs.
    const events = (await redis.call('ZRANGE', `${P}window:w`, '0', '-1', 'WITHSCORES')) as [
      string,
      number,
    ][];
    expect(events.map(([, score]) => Number(score))).toEqual([T0 + 1_000, T0 + 1_100]);
  });

  it('keeps events of the same millisecond apart', async () => {
    const w = [{ key: 'w', limit: 10, windowMs: 1_000 }];
    for (let i = 0; i < 4; i++) await windows.take(w, T0);
    expect(await redis.zcard(`${P}window:w`)).toBe(4);
  });

  it('is all-or-nothing across windows and names the first full one', async () => {
    const both = [
      { key: 'global', limit: 5, windowMs: 60_000 },
      { key: 'target:web-1', limit: 1, windowMs: 10_000 },
      { key: 'runbook:disk', limit: 1, windowMs: 10_000 },
    ];
    expect(await windows.take(both, T0)).toEqual({ ok: true });
    expect(await windows.take(both, T0 + 1)).toEqual({ ok: false, full: 'target:web-1' });
    // The refused take added nothing to the windows that had room.
    expect(await redis.zcard(`${P}window:global`)).toBe(1);
    const global = [{ key: 'global', limit: 5, windowMs: 60_000 }];
    for (let i = 2; i <= 5; i++) expect(await windows.take(global, T0 + i)).toEqual({ ok: true });
    expect(await windows.take(global, T0 + 6)).toEqual({ ok: false, full: 'global' });
    // The short windows have emptied, the global one is still full.
    expect(await windows.take(both, T0 + 10_000)).toEqual({ ok: false, full: 'global' });
    expect(await redis.zcard(`${P}window:target:web-1`)).toBe(0);
  });

  it('expires each key windowMs after its last event', async () => {
    await windows.take(
      [
        { key: 'short', limit: 5, windowMs: 2_000 },
        { key: 'long', limit: 5, windowMs: 3_600_000 },
      ],
      T0,
    );
    const [short, long] = await Promise.all([redis.pttl(`${P}window:short`), redis.pttl(`${P}window:long`)]);
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(2_000);
    expect(long).toBeGreaterThan(2_000);
    expect(long).toBeLessThanOrEqual(3_600_000);
  });

  it('allows an empty list of windows', async () => {
    expect(await windows.take([], T0)).toEqual({ ok: true });
  });

  it('grants exactly `limit` of 50 concurrent takes from two connections', async () => {
    const second = createRedisWindowStore(other, P);
    const w = [{ key: 'w', limit: 5, windowMs: 60_000 }];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? windows : second).take(w, T0 + (i % 3))),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(5);
    expect(await redis.zcard(`${P}window:w`)).toBe(5);
  });
});
