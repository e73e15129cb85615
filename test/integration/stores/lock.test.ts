import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisLockStore } from '../../../src/stores/redis-lock-store.ts';
import type { LockStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;
const TTL = 10_000;

let server: TestRedis;
let redis: Redis;
let other: Redis;
let locks: LockStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  other = new Redis(server.url);
  locks = createRedisLockStore(redis, 'remediator:');
});

afterAll(async () => {
  await Promise.all([redis?.quit(), other?.quit()]);
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis lock store', () => {
  it('grants a free lock to one owner and names the holder to the others', async () => {
    expect(await locks.acquire('web-1', 'run-a', TTL, T0)).toEqual({ ok: true, fence: 1 });
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + 1)).toEqual({ ok: false, holder: 'run-a' });
    expect(await redis.hgetall('remediator:lock:web-1')).toEqual({
      owner: 'run-a',
      expiresAt: String(T0 + TTL),
      fence: '1',
    });
    const pttl = await redis.pttl('remediator:lock:web-1');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL);
  });

  it('is held until just before the TTL ends and free at exactly now + ttl', async () => {
    await locks.acquire('web-1', 'run-a', TTL, T0);
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + TTL - 1)).toEqual({ ok: false, holder: 'run-a' });
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + TTL)).toEqual({ ok: true, fence: 2 });
  });

  it('renews only for the owner of an unexpired lock', async () => {
    await locks.acquire('web-1', 'run-a', TTL, T0);
    expect(await locks.renew('web-1', 'run-b', TTL, T0 + 1)).toBe(false);
    expect(await locks.renew('web-1', 'run-a', TTL, T0 + 5_000)).toBe(true);
    // The renewal moved the end from T0 + TTL to T0 + 5000 + TTL.
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + TTL)).toEqual({ ok: false, holder: 'run-a' });
    expect(await locks.renew('web-1', 'run-a', TTL, T0 + 5_000 + TTL)).toBe(false);
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + 5_000 + TTL)).toMatchObject({ ok: true });
    expect(await locks.renew('web-1', 'run-a', TTL, T0 + 5_000 + TTL)).toBe(false);
  });

  it('releases only for the owner', async () => {
    await locks.acquire('web-1', 'run-a', TTL, T0);
    expect(await locks.release('web-1', 'run-b')).toBe(false);
    expect(await redis.hget('remediator:lock:web-1', 'owner')).toBe('run-a');
    expect(await locks.release('web-1', 'run-a')).toBe(true);
    expect(await redis.exists('remediator:lock:web-1')).toBe(0);
    expect(await locks.release('web-1', 'run-a')).toBe(false);
    expect(await locks.acquire('web-1', 'run-b', TTL, T0 + 1)).toMatchObject({ ok: true });
  });

  it('hands out strictly increasing fencing numbers per key, across releases and re-takes', async () => {
    const fences: number[] = [];
    for (let i = 0; i < 5; i++) {
      const taken = await locks.acquire('web-1', `run-${i}`, TTL, T0 + i);
      if (!taken.ok) throw new Error('lock not taken');
      fences.push(taken.fence);
      await locks.release('web-1', `run-${i}`);
    }
    // The holder taking its own lock again is a new take: new fence, TTL restarted.
    await locks.acquire('web-1', 'run-x', TTL, T0 + 10);
    expect(await locks.acquire('web-1', 'run-x', TTL, T0 + 20)).toEqual({ ok: true, fence: 7 });
    expect(await redis.hget('remediator:lock:web-1', 'expiresAt')).toBe(String(T0 + 20 + TTL));
    expect(fences).toEqual([1, 2, 3, 4, 5]);
    // Another key counts on its own.
    expect(await locks.acquire('db-1', 'run-a', TTL, T0)).toEqual({ ok: true, fence: 1 });
  });

  it('a refused acquire changes nothing', async () => {
    await locks.acquire('web-1', 'run-a', TTL, T0);
    await locks.acquire('web-1', 'run-b', TTL, T0 + 1);
    expect(await redis.get('remediator:fence:web-1')).toBe('1');
    expect(await redis.hget('remediator:lock:web-1', 'owner')).toBe('run-a');
  });

  it('grants exactly one of 50 concurrent acquires from two connections', async () => {
    const second = createRedisLockStore(other, 'remediator:');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? locks : second).acquire('web-1', `run-${i}`, TTL, T0),
      ),
    );
    const granted = results.flatMap((result, i) => (result.ok ? [`run-${i}`] : []));
    expect(granted).toHaveLength(1);
    const holders = new Set(results.flatMap((result) => (result.ok ? [] : [result.holder])));
    expect([...holders]).toEqual(granted);
    expect(results.find((result) => result.ok)).toEqual({ ok: true, fence: 1 });
  });
});
