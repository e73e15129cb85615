import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisAdmissionStore } from '../../../src/stores/redis-admission-store.ts';
import { createRedisLockStore } from '../../../src/stores/redis-lock-store.ts';
import type { AdmissionRequest, AdmissionStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;
const TTL = 60_000;
const P = 'remediator:';

let server: TestRedis;
let redis: Redis;
let other: Redis;
let admission: AdmissionStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  other = new Redis(server.url);
  admission = createRedisAdmissionStore(redis, P);
});

afterAll(async () => {
  await Promise.all([redis?.quit(), other?.quit()]);
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

/** A run needing the global slot (limit 2), the group slot (limit 1) and its target's lock. */
function request(
  runId: string,
  target: string,
  now = T0,
  limits = { global: 2, group: 1 },
): AdmissionRequest {
  return {
    runId,
    now,
    ttlMs: TTL,
    slots: [
      { key: 'global', limit: limits.global },
      { key: 'group:web', limit: limits.group },
    ],
    lock: { key: target },
  };
}

/** Everything a refused call must leave alone. */
async function snapshot(): Promise<unknown> {
  const keys = (await redis.keys(`${P}*`)).sort();
  const values = await Promise.all(
    keys.map(async (key) => {
      const type = await redis.type(key);
      if (type === 'zset') return redis.call('ZRANGE', key, '0', '-1', 'WITHSCORES');
      if (type === 'hash') return redis.hgetall(key);
      return redis.get(key);
    }),
  );
  return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
}

describe('redis admission store', () => {
  it('grants every place at once with a fencing number', async () => {
    expect(await admission.acquire(request('run-a', 'web-1'))).toEqual({ ok: true, fence: 1 });
    expect(await redis.zscore(`${P}slot:global`, 'run-a')).toBe(String(T0 + TTL));
    expect(await redis.zscore(`${P}slot:group:web`, 'run-a')).toBe(String(T0 + TTL));
    expect(await redis.hgetall(`${P}lock:web-1`)).toEqual({
      owner: 'run-a',
      expiresAt: String(T0 + TTL),
      fence: '1',
    });
    for (const key of ['slot:global', 'slot:group:web', 'lock:web-1']) {
      const pttl = await redis.pttl(`${P}${key}`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(TTL);
    }
  });

  it('refuses when a slot is full, names the first full slot, and changes nothing', async () => {
    await admission.acquire(request('run-a', 'web-1'));
    const before = await snapshot();
    expect(await admission.acquire(request('run-b', 'web-2', T0 + 1))).toEqual({
      ok: false,
      blocked: 'group:web',
    });
    expect(await snapshot()).toEqual(before);
    expect(await redis.exists(`${P}lock:web-2`, `${P}fence:web-2`)).toBe(0);
    // Both slots full: the first in the order given is named.
    await admission.acquire(request('run-c', 'web-3', T0, { global: 2, group: 2 }));
    expect(await admission.acquire(request('run-d', 'web-4', T0 + 2, { global: 2, group: 2 }))).toEqual({
      ok: false,
      blocked: 'global',
    });
  });

  it('refuses when only the target lock is held, naming the lock', async () => {
    await admission.acquire(request('run-a', 'web-1', T0, { global: 5, group: 5 }));
    const before = await snapshot();
    expect(await admission.acquire(request('run-b', 'web-1', T0 + 1, { global: 5, group: 5 }))).toEqual({
      ok: false,
      blocked: 'web-1',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('shares the target lock with the lock store', async () => {
    const locks = createRedisLockStore(redis, P);
    await locks.acquire('web-1', 'someone', TTL, T0);
    expect(await admission.acquire(request('run-a', 'web-1'))).toEqual({ ok: false, blocked: 'web-1' });
    await locks.release('web-1', 'someone');
    expect(await admission.acquire(request('run-a', 'web-1'))).toEqual({ ok: true, fence: 2 });
    expect(await locks.acquire('web-1', 'someone', TTL, T0 + 1)).toEqual({ ok: false, holder: 'run-a' });
  });

  it('lets a run acquire again (idempotent places, new fence)', async () => {
    await admission.acquire(request('run-a', 'web-1'));
    expect(await admission.acquire(request('run-a', 'web-1', T0 + 5))).toEqual({ ok: true, fence: 2 });
    expect(await redis.zcard(`${P}slot:group:web`)).toBe(1);
    expect(await redis.zscore(`${P}slot:group:web`, 'run-a')).toBe(String(T0 + 5 + TTL));
  });

  it('frees places at exactly their expiry', async () => {
    await admission.acquire(request('run-a', 'web-1'));
    expect(await admission.acquire(request('run-b', 'web-1', T0 + TTL - 1))).toMatchObject({ ok: false });
    expect(await admission.acquire(request('run-b', 'web-1', T0 + TTL))).toEqual({ ok: true, fence: 2 });
    expect(await redis.zrange(`${P}slot:group:web`, '0', '-1')).toEqual(['run-b']);
  });

  it('renews every place while the run holds them all', async () => {
    await admission.acquire(request('run-a', 'web-1'));
    expect(await admission.renew(request('run-a', 'web-1', T0 + 30_000))).toBe(true);
    expect(await redis.zscore(`${P}slot:global`, 'run-a')).toBe(String(T0 + 30_000 + TTL));
    expect(await redis.hget(`${P}lock:web-1`, 'expiresAt')).toBe(String(T0 + 30_000 + TTL));
    expect(await admission.acquire(request('run-b', 'web-2', T0 + TTL))).toMatchObject({ ok: false });
    expect(await admission.renew(request('run-b', 'web-1', T0 + 30_001))).toBe(false);
  });

  it('refuses to renew once a place was lost, and changes nothing', async () => {
    await admission.acquire(request('run-a', 'web-1'));
    // The group slot expires and run-b takes it; run-a's lock has its own (same) expiry.
    await admission.acquire(request('run-b', 'web-2', T0 + TTL));
    const before = await snapshot();
    expect(await admission.renew(request('run-a', 'web-1', T0 + TTL + 1))).toBe(false);
    expect(await snapshot()).toEqual(before);
    // An expired place is lost even if nobody took it.
    expect(await admission.renew(request('run-b', 'web-2', T0 + 2 * TTL))).toBe(false);
  });

  it('releases only what the run holds', async () => {
    const locks = createRedisLockStore(redis, P);
    await admission.acquire(request('run-a', 'web-1'));
    await admission.release(request('run-a', 'web-1'));
    expect(await redis.exists(`${P}slot:global`, `${P}slot:group:web`, `${P}lock:web-1`)).toBe(0);
    await locks.acquire('web-1', 'someone', TTL, T0);
    await admission.acquire(request('run-b', 'web-2'));
    await admission.release(request('run-b', 'web-1'));
    expect(await redis.hget(`${P}lock:web-1`, 'owner')).toBe('someone');
    expect(await redis.exists(`${P}slot:global`)).toBe(0);
  });

  it('admits exactly one of 50 concurrent acquires by 20 runs on a group slot of 1', async () => {
    const second = createRedisAdmissionStore(other, P);
    const runOf = (i: number): string => `run-${i % 20}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? admission : second).acquire(
          request(runOf(i), `web-${i % 20}`, T0, { global: 100, group: 1 }),
        ),
      ),
    );
    const winners = new Set(results.flatMap((result, i) => (result.ok ? [runOf(i)] : [])));
    expect(winners.size).toBe(1);
    const [winner] = [...winners];
    expect(await redis.zrange(`${P}slot:group:web`, '0', '-1')).toEqual([winner]);
    expect(await redis.zrange(`${P}slot:global`, '0', '-1')).toEqual([winner]);
    expect(await redis.keys(`${P}lock:*`)).toEqual([`${P}lock:web-${winner?.slice(4)}`]);
    for (const result of results) if (!result.ok) expect(result.blocked).toBe('group:web');
    const fences = results.flatMap((result) => (result.ok ? [result.fence] : [])).sort((a, b) => a - b);
    expect(fences).toEqual(fences.map((_, i) => i + 1));
  });
});

describe('waiting without polling', () => {
  const wokenIds: string[] = [];
  const parking = () => createRedisAdmissionStore(redis, P, { wake: (ids) => wokenIds.push(...ids) });
  const waiting = (runId: string, target: string, score: number): AdmissionRequest => ({
    ...request(`${runId}/attempt`, target),
    waiter: { id: runId, score },
  });

  beforeEach(() => {
    wokenIds.length = 0;
  });

  it('parks refused runs on the blocked place and wakes them one per release, first come first', async () => {
    const store = parking();
    expect(await store.acquire(waiting('a', 'web-1', 1))).toMatchObject({ ok: true });
    // Blocked by the group's only place: parked there, in arrival order whatever the call order.
    expect(await store.acquire(waiting('c', 'web-2', 3))).toEqual({ ok: false, blocked: 'group:web' });
    expect(await store.acquire(waiting('b', 'web-3', 2))).toEqual({ ok: false, blocked: 'group:web' });
    expect(wokenIds).toEqual([]);
    await store.release(waiting('a', 'web-1', 1));
    expect(wokenIds).toEqual(['b']);
    expect(await store.wokenWhileParking('b')).toBe(true);
    expect(await store.wokenWhileParking('b')).toBe(false);
    // Admitted: unparked everywhere, so a later release wakes the next one, not b again.
    expect(await store.acquire(waiting('b', 'web-3', 2))).toMatchObject({ ok: true });
    await store.release(waiting('b', 'web-3', 2));
    expect(wokenIds).toEqual(['b', 'c']);
  });

  it('sweeps: wakes the first waiter of every waited-on place, and forgets empty places', async () => {
    const store = parking();
    await store.acquire(waiting('a', 'web-1', 1));
    await store.acquire(waiting('b', 'web-2', 2));
    await store.acquire(waiting('c', 'web-3', 3));
    await store.sweep();
    expect(wokenIds).toEqual(['b']);
    await store.sweep();
    expect(wokenIds).toEqual(['b', 'c']);
    await store.sweep();
    expect(wokenIds).toEqual(['b', 'c']);
    expect(await redis.smembers(`${P}waiting-places`)).toEqual([]);
  });

  it('does not park a run asked without a waiter', async () => {
    const store = parking();
    await store.acquire(request('a', 'web-1'));
    expect(await store.acquire(request('b', 'web-2'))).toEqual({ ok: false, blocked: 'group:web' });
    await store.release(request('a', 'web-1'));
    expect(wokenIds).toEqual([]);
  });
});
