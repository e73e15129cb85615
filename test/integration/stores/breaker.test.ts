import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisBreakerStore } from '../../../src/stores/redis-breaker-store.ts';
import type { BreakerOptions, BreakerStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;
const OPTS: BreakerOptions = { failures: 3, withinMs: 10_000, coolOffMs: 60_000 };
const K = 'disk-full';

let server: TestRedis;
let redis: Redis;
let other: Redis;
let breakers: BreakerStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  other = new Redis(server.url);
  breakers = createRedisBreakerStore(redis, 'remediator:');
});

afterAll(async () => {
  await Promise.all([redis?.quit(), other?.quit()]);
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

const fail = (now: number, trial = false) => breakers.record(K, 'failure', OPTS, now, trial);
const succeed = (now: number, trial = false) => breakers.record(K, 'success', OPTS, now, trial);

/** Opens the breaker at `now` with three failures. */
async function openAt(now: number): Promise<void> {
  for (const t of [now - 2, now - 1, now]) await fail(t);
}

describe('redis breaker store', () => {
  it('admits while closed and opens at the `failures`-th failure within the window', async () => {
    expect(await breakers.admit(K, OPTS, T0)).toEqual({ ok: true, state: 'closed', trial: false });
    expect(await fail(T0)).toBe('closed');
    expect(await fail(T0 + 1)).toBe('closed');
    expect(await fail(T0 + 2)).toBe('open');
    expect(await breakers.state(K, OPTS, T0 + 2)).toBe('open');
    expect(await redis.hgetall(`remediator:breaker:${K}`)).toEqual({
      state: 'open',
      openedAt: String(T0 + 2),
    });
  });

  it('forgets failures at exactly withinMs after them', async () => {
    const failAt = (key: string, now: number) => breakers.record(key, 'failure', OPTS, now, false);
    // Just before the end of the window, the failure of T0 still counts.
    await failAt('edge', T0);
    await failAt('edge', T0 + 5);
    expect(await failAt('edge', T0 + OPTS.withinMs - 1)).toBe('open');
    // At exactly T0 + withinMs it has left the window.
    await fail(T0);
    await fail(T0 + 5);
    expect(await fail(T0 + OPTS.withinMs)).toBe('closed');
    expect(await fail(T0 + OPTS.withinMs + 1)).toBe('open');
    expect(await redis.pttl(`remediator:breaker:${K}:failures`)).toBe(-2);
  });

  it('keeps the failures when a closed breaker records a success', async () => {
    await fail(T0);
    await fail(T0 + 1);
    expect(await succeed(T0 + 2)).toBe('closed');
    expect(await redis.zcard(`remediator:breaker:${K}:failures`)).toBe(2);
    expect(await fail(T0 + 3)).toBe('open');
  });

  it('refuses while open until the cool-off ends, with retryAt', async () => {
    await openAt(T0);
    const retryAt = T0 + OPTS.coolOffMs;
    expect(await breakers.admit(K, OPTS, T0 + 1)).toEqual({
      ok: false,
      state: 'open',
      trial: false,
      retryAt,
    });
    expect(await breakers.admit(K, OPTS, retryAt - 1)).toEqual({
      ok: false,
      state: 'open',
      trial: false,
      retryAt,
    });
    expect(await breakers.state(K, OPTS, retryAt - 1)).toBe('open');
    expect(await breakers.state(K, OPTS, retryAt)).toBe('half_open');
    // Failures of runs admitted before it opened change nothing.
    expect(await fail(T0 + 10)).toBe('open');
    expect(await breakers.admit(K, OPTS, T0 + 11)).toMatchObject({ ok: false, retryAt });
  });

  it('goes open -> half-open -> closed on the trial success', async () => {
    await openAt(T0);
    const coolOff = T0 + OPTS.coolOffMs;
    expect(await breakers.admit(K, OPTS, coolOff)).toEqual({ ok: true, state: 'half_open', trial: true });
    expect(await breakers.admit(K, OPTS, coolOff + 1)).toEqual({
      ok: false,
      state: 'half_open',
      trial: false,
      retryAt: coolOff + OPTS.coolOffMs,
    });
    // A non-trial outcome while half-open changes nothing.
    expect(await succeed(coolOff + 2)).toBe('half_open');
    expect(await fail(coolOff + 3)).toBe('half_open');
    expect(await succeed(coolOff + 4, true)).toBe('closed');
    expect(await redis.exists(`remediator:breaker:${K}`, `remediator:breaker:${K}:failures`)).toBe(0);
    expect(await breakers.admit(K, OPTS, coolOff + 5)).toEqual({ ok: true, state: 'closed', trial: false });
    // The count starts again from zero.
    expect(await fail(coolOff + 6)).toBe('closed');
  });

  it('goes half-open -> open on the trial failure, with a new openedAt', async () => {
    await openAt(T0);
    const trialAt = T0 + OPTS.coolOffMs + 500;
    expect(await breakers.admit(K, OPTS, trialAt)).toMatchObject({ ok: true, trial: true });
    expect(await fail(trialAt + 100, true)).toBe('open');
    const retryAt = trialAt + 100 + OPTS.coolOffMs;
    expect(await breakers.admit(K, OPTS, retryAt - 1)).toEqual({
      ok: false,
      state: 'open',
      trial: false,
      retryAt,
    });
    expect(await breakers.admit(K, OPTS, retryAt)).toEqual({ ok: true, state: 'half_open', trial: true });
  });

  it('grants a new trial when the trial never reports within coolOffMs', async () => {
    await openAt(T0);
    const firstTrial = T0 + OPTS.coolOffMs;
    await breakers.admit(K, OPTS, firstTrial);
    expect(await breakers.admit(K, OPTS, firstTrial + OPTS.coolOffMs - 1)).toMatchObject({ ok: false });
    expect(await breakers.admit(K, OPTS, firstTrial + OPTS.coolOffMs)).toEqual({
      ok: true,
      state: 'half_open',
      trial: true,
    });
    expect(await breakers.admit(K, OPTS, firstTrial + OPTS.coolOffMs + 1)).toMatchObject({ ok: false });
  });

  it('a trial outcome outside half-open is an ordinary outcome', async () => {
    expect(await succeed(T0, true)).toBe('closed');
    await openAt(T0 + 10);
    expect(await succeed(T0 + 20, true)).toBe('open');
    expect(await fail(T0 + 30, true)).toBe('open');
    expect(await redis.hget(`remediator:breaker:${K}`, 'openedAt')).toBe(String(T0 + 10));
  });

  it('keeps breakers apart by key', async () => {
    await openAt(T0);
    expect(await breakers.admit('other', OPTS, T0)).toEqual({ ok: true, state: 'closed', trial: false });
  });

  it('grants exactly one trial among 20 concurrent admits from two connections', async () => {
    await openAt(T0);
    const second = createRedisBreakerStore(other, 'remediator:');
    const now = T0 + OPTS.coolOffMs;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? breakers : second).admit(K, OPTS, now + (i % 2))),
    );
    expect(results.filter((result) => result.trial)).toHaveLength(1);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    for (const result of results) expect(result.state).toBe('half_open');
  });
});
