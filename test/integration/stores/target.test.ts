import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RemediatorError } from '../../../src/errors.ts';
import { withTargetState } from '../../../src/policy/target-state-update.ts';
import { createRedisTargetStore } from '../../../src/stores/redis-target-store.ts';
import type { TargetRecord, TargetStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const STABILIZE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

let server: TestRedis;
let redis: Redis;
let other: Redis;
let targets: TargetStore;
let second: TargetStore;

function record(state: TargetRecord['state'], firing = 0): TargetRecord {
  return { state, since: iso(T0), firing };
}

/** Counts compareAndSet calls and wins; `lose` makes every write lose, as if another writer always won. */
function counting(store: TargetStore, lose = false) {
  const counts = { tries: 0, wins: 0 };
  const wrapped: TargetStore = {
    ...store,
    async compareAndSet(target, version, next) {
      counts.tries++;
      const won = !lose && (await store.compareAndSet(target, version, next));
      if (won) counts.wins++;
      return won;
    },
  };
  return { store: wrapped, counts };
}

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  other = new Redis(server.url);
  targets = createRedisTargetStore(redis, 'remediator:');
  second = createRedisTargetStore(other, 'remediator:');
});

afterAll(async () => {
  await redis?.quit();
  await other?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis target store: alert()', () => {
  it('counts distinct firing occurrences, adding and removing', async () => {
    expect(await targets.alert('db1', 'fp1:t0', true)).toBe(1);
    expect(await targets.alert('db1', 'fp1:t0', true)).toBe(1);
    expect(await targets.alert('db1', 'fp2:t0', true)).toBe(2);
    expect(await targets.alert('db1', 'fp1:t0', false)).toBe(1);
    expect(await targets.alert('db1', 'unknown', false)).toBe(1);
    expect(await targets.alert('db1', 'fp2:t0', false)).toBe(0);
    expect(await targets.alert('db2', 'fp1:t0', true)).toBe(1);
  });

  it('keeps targets whose names end like key suffixes apart', async () => {
    await targets.alert('a', 'x', true);
    await targets.alert('a:firing', 'y', true);
    expect(await targets.alert('a:state', 'z', true)).toBe(1);
    expect(await targets.compareAndSet('a', 0, record('degraded', 1))).toBe(true);
    expect(await targets.get('a:firing')).toEqual({ version: 0 });
    expect(await targets.alert('a', 'w', true)).toBe(2);
    expect(await targets.get('a')).toEqual({ record: record('degraded', 1), version: 1 });
  });
});

describe('redis target store: get() and compareAndSet()', () => {
  it('has version 0 and no record for an unknown target', async () => {
    expect(await targets.get('db1')).toEqual({ version: 0 });
  });

  it('writes only at the expected version, then moves it up by one', async () => {
    expect(await targets.compareAndSet('db1', 1, record('degraded'))).toBe(false);
    expect(await targets.compareAndSet('db1', 0, record('degraded', 1))).toBe(true);
    expect(await targets.compareAndSet('db1', 0, record('healthy'))).toBe(false);
    expect(await targets.get('db1')).toEqual({ record: record('degraded', 1), version: 1 });
    expect(await targets.compareAndSet('db1', 1, { ...record('recovering', 1), lastRun: 'r1' })).toBe(true);
    expect(await targets.get('db1')).toEqual({
      record: { ...record('recovering', 1), lastRun: 'r1' },
      version: 2,
    });
  });

  it('lets exactly one of two connections win at the same version', async () => {
    for (let version = 0; version < 50; version++) {
      const results = await Promise.all([
        targets.compareAndSet('db1', version, record('degraded', version)),
        second.compareAndSet('db1', version, record('failing', version)),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? 'degraded' : 'failing';
      expect(await second.get('db1')).toEqual({ record: record(winner, version), version: version + 1 });
    }
  });

  it('all() reads every target that has a record, names with `:` included', async () => {
    await targets.alert('no-record-yet', 'fp', true);
    await targets.compareAndSet('db1', 0, record('degraded', 1));
    await second.compareAndSet('web:8080', 0, record('healthy'));
    expect(await targets.all()).toEqual(
      new Map([
        ['db1', record('degraded', 1)],
        ['web:8080', record('healthy')],
      ]),
    );
  });

  it('all() is empty on an empty Redis', async () => {
    expect(await targets.all()).toEqual(new Map());
  });
});

describe('withTargetState on Redis', () => {
  it('creates, updates and skips unchanged writes', async () => {
    const first = await withTargetState(targets, 'db1', { kind: 'alert', firing: 1 }, T0, STABILIZE);
    expect(first).toEqual({ state: 'degraded', since: iso(T0), firing: 1 });
    expect(await withTargetState(targets, 'db1', { kind: 'tick' }, T0 + 5, STABILIZE)).toEqual(first);
    expect((await targets.get('db1')).version).toBe(1);
    const started = await withTargetState(
      targets,
      'db1',
      { kind: 'run_started', runId: 'r1' },
      T0 + 9,
      STABILIZE,
    );
    expect(started).toEqual({ state: 'recovering', since: iso(T0 + 9), firing: 1, lastRun: 'r1' });
    expect(await targets.get('db1')).toEqual({ record: started, version: 2 });
  });

  it('applies every one of 20 concurrent events from two connections exactly once', async () => {
    const a = counting(targets);
    const b = counting(second);
    const ids = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    const results = await Promise.all(
      ids.map((runId, i) =>
        withTargetState(i % 2 ? a.store : b.store, 'db1', { kind: 'run_started', runId }, T0, STABILIZE),
      ),
    );
    // Each event changed lastRun, so each wrote once: no write was lost and none was doubled.
    expect(a.counts.wins + b.counts.wins).toBe(20);
    const { record: final, version } = await targets.get('db1');
    expect(version).toBe(20);
    expect(final).toEqual({ state: 'recovering', since: iso(T0), firing: 0, lastRun: final?.lastRun });
    expect(ids).toContain(final?.lastRun);
    expect(results.map((r) => r.lastRun).sort()).toEqual([...ids].sort());
  });

  it('gives up after maxTries lost races with a retryable E_REDIS', async () => {
    const loser = counting(targets, true);
    const waits: number[] = [];
    const attempt = withTargetState(loser.store, 'db1', { kind: 'alert', firing: 1 }, T0, STABILIZE, {
      maxTries: 4,
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.99,
    });
    await expect(attempt).rejects.toThrow(RemediatorError);
    await expect(attempt).rejects.toMatchObject({ code: 'E_REDIS', retryable: true });
    expect(loser.counts.tries).toBe(4);
    expect(waits).toEqual([9, 19, 39]);
    expect(await targets.get('db1')).toEqual({ version: 0 });
  });
});
