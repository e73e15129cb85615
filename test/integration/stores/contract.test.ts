/**
 * The memory stores (the backtest's throwaway state) must decide exactly as the Redis stores the
 * service uses. Each case runs the same operations on both, on a real Redis, and compares every
 * answer: a few named behaviours, then long random sequences of operations on a shared virtual clock.
 * Times move in steps of 10 s, so no Redis key's own expiry (wall clock) lapses during a test.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryPolicyStores } from '../../../src/stores/memory-policy-stores.ts';
import { createPolicyStores } from '../../../src/policy/stores.ts';
import type { PolicyStores } from '../../../src/policy/types.ts';
import type { AdmissionRequest, BreakerOptions, StormArrival } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;
const S = 10_000;
let server: TestRedis;
let redis: Redis;
let now = T0;
let pair: { redis: PolicyStores; memory: PolicyStores };

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushdb();
  now = T0;
  pair = { redis: createPolicyStores(redis, 'remediator:'), memory: createMemoryPolicyStores(() => now) };
});

/** Runs `op` on both implementations and asserts the same answer; returns it. */
async function both<T>(op: (stores: PolicyStores) => Promise<T>): Promise<T> {
  const [fromRedis, fromMemory] = [await op(pair.redis), await op(pair.memory)];
  expect(fromMemory).toEqual(fromRedis);
  return fromRedis;
}

/** A deterministic generator, so a failing sequence can be replayed. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

function request(run: string, target: string, at: number, group: string, limits: number[]): AdmissionRequest {
  return {
    runId: run,
    now: at,
    ttlMs: 6 * S,
    slots: [
      { key: 'inflight:global', limit: limits[0]! },
      { key: 'inflight:runbook:a', limit: limits[1]! },
      { key: `group:${group}`, limit: limits[2]! },
    ],
    lock: { key: `target:${target}` },
  };
}

describe('memory and Redis stores decide alike', () => {
  it('admission: named cases (a full slot, a held lock, idempotent acquire, release, expiry)', async () => {
    const a = request('a', 't1', now, 'g', [2, 2, 1]);
    expect(await both((s) => s.admission.acquire(a))).toEqual({ ok: true, fence: 1 });
    expect(await both((s) => s.admission.acquire(request('b', 't2', now, 'g', [2, 2, 1])))).toEqual({
      ok: false,
      blocked: 'group:g',
    });
    expect(await both((s) => s.admission.acquire(request('c', 't1', now, 'h', [3, 3, 1])))).toEqual({
      ok: false,
      blocked: 'target:t1',
    });
    expect(await both((s) => s.admission.acquire(a))).toEqual({ ok: true, fence: 2 });
    await both((s) => s.admission.release(a));
    expect(await both((s) => s.admission.acquire(request('c', 't1', now, 'h', [3, 3, 1])))).toEqual({
      ok: true,
      fence: 3,
    });
    now += 6 * S;
    expect(await both((s) => s.admission.usage(a.slots, now))).toEqual([
      { key: 'inflight:global', used: 0, limit: 2 },
      { key: 'inflight:runbook:a', used: 0, limit: 2 },
      { key: 'group:g', used: 0, limit: 1 },
    ]);
  });

  it('admission, windows, cooldowns: 300 random operations answer alike', async () => {
    const pick = random(7);
    for (let i = 0; i < 300; i++) {
      now += S * pick(3);
      const run = `r${pick(6)}`;
      const req = request(run, `t${pick(3)}`, now, `g${pick(2)}`, [3, 2, 1 + pick(2)]);
      const op = pick(7);
      if (op === 0) await both((s) => s.admission.acquire(req));
      else if (op === 1) await both((s) => s.admission.renew(req));
      else if (op === 2) await both((s) => s.admission.release(req));
      else if (op === 3) await both((s) => s.admission.peek(req));
      else if (op === 4) {
        const windows = [
          { key: `rate:target:${req.lock.key}`, limit: 2, windowMs: 3 * S },
          { key: 'rate:global', limit: 4, windowMs: 6 * S },
        ];
        await both((s) => s.windows.take(windows, now));
        await both((s) => s.windows.count(windows, now));
      } else if (op === 5) {
        const ms = S * pick(4);
        await both((s) => s.cooldowns.start(req.lock.key, ms, now));
      } else await both((s) => s.cooldowns.until(req.lock.key, now));
    }
  });

  it('breaker: 300 random admits and outcomes answer alike', async () => {
    const opts: BreakerOptions = { failures: 3, withinMs: 6 * S, coolOffMs: 4 * S };
    const pick = random(11);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      now += S * pick(2);
      const op = pick(4);
      if (op === 0) seen.add((await both((s) => s.breakers.admit('rb', opts, now))).state);
      else if (op === 3) seen.add(await both((s) => s.breakers.state('rb', opts, now)));
      else {
        const outcome = pick(4) === 0 ? 'success' : 'failure';
        const trial = pick(2) === 0;
        seen.add(await both((s) => s.breakers.record('rb', outcome, opts, now, trial)));
      }
    }
    // The sequence went through every state, so every transition was compared.
    expect([...seen].sort()).toEqual(['closed', 'half_open', 'open']);
  });

  it('occurrences and pauses answer alike', async () => {
    await both((s) => s.occurrences.markResolved(['a', 'b'], 6 * S));
    expect(await both((s) => s.occurrences.areResolved(['a', 'x', 'b']))).toEqual([true, false, true]);
    const pause = (id: string, from: number, ms: number) => ({
      id,
      matchers: ['alertname="X"'],
      comment: id,
      createdBy: 'test',
      createdAt: new Date(from).toISOString(),
      expiresAt: new Date(from + ms).toISOString(),
    });
    await both((s) => s.pauses.create(pause('p1', now, 2 * S)));
    await both((s) => s.pauses.create(pause('p2', now + S, 4 * S)));
    expect((await both((s) => s.pauses.active(now + 2 * S))).map((p) => p.id)).toEqual(['p2']);
    expect(await both((s) => s.pauses.expire('p2', now + 3 * S))).toBe(true);
    expect(await both((s) => s.pauses.expire('nope', now))).toBe(false);
    expect(await both((s) => s.pauses.active(now + 3 * S))).toEqual([]);
  });

  it('storms: named cases (the limit, one page per storm, the targets named)', async () => {
    const at = (run: string, target: string, limit = 3): StormArrival => ({
      runbook: 'rb',
      runId: run,
      target,
      receivedAt: now,
      limit,
      windowMs: 6 * S,
    });
    for (const run of ['a', 'b', 'c'])
      expect(await both((s) => s.storms.arrive(at(run, `t-${run}`)))).toEqual({ excess: false });
    // Admitted once, admitted again without being counted (a waiting run passes the gate again).
    expect(await both((s) => s.storms.arrive(at('a', 't-a')))).toEqual({ excess: false });
    expect(await both((s) => s.storms.arrive(at('d', 't-d')))).toEqual({
      excess: true,
      arrivals: 4,
      pages: true,
      targets: ['t-a', 't-b', 't-c', 't-d'],
      distinctTargets: 4,
    });
    expect(await both((s) => s.storms.arrive(at('e', 't-a')))).toMatchObject({ arrivals: 5, pages: false });
    // The run that paged pages again when it comes back (a retry of its attempt), no other does.
    expect(await both((s) => s.storms.arrive(at('d', 't-d')))).toMatchObject({ pages: true });
    expect(await both((s) => s.storms.peek(at('x', 'x')))).toEqual({ arrivals: 6, storm: true });
    now += 6 * S;
    expect(await both((s) => s.storms.peek(at('x', 'x')))).toEqual({ arrivals: 0, storm: true });
    expect(await both((s) => s.storms.arrive(at('f', 't-f')))).toEqual({ excess: false });
  });

  it('storms: 300 random arrivals, new runs and waiting runs coming back, answer alike', async () => {
    const pick = random(13);
    // Under two windows in all: Redis ends a storm on its own (wall) clock, never within a test.
    const windowMs = 60_000;
    const arrived: StormArrival[] = [];
    for (let i = 0; i < 300; i++) {
      now += 300 * pick(2);
      const again = arrived.length > 0 && pick(3) === 0;
      const rb = pick(2);
      const a: StormArrival = again
        ? arrived[pick(arrived.length)]!
        : {
            runbook: `rb${rb}`,
            runId: `r${i}`,
            target: `t${pick(30)}`,
            receivedAt: now,
            limit: rb === 0 ? 8 : 40,
            windowMs,
          };
      if (!again) arrived.push(a);
      await both((s) => s.storms.arrive(a));
      if (pick(5) === 0) await both((s) => s.storms.peek({ ...a, receivedAt: now }));
    }
  });
});
