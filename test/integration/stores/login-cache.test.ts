import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthStores, type LoginThrottle } from '../../../src/stores/auth-stores.ts';
import { cacheLogins } from '../../../src/stores/login-throttle-cache.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

// Two replicas on one Redis, each remembering unblocked clients for a second of a clock the test moves.
let server: TestRedis;
let redis: Redis;
let now = 1_000_000;
let reads = 0;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushall();
  reads = 0;
});

function replica(): LoginThrottle {
  const inner = createAuthStores(redis, 'remediator:').logins;
  const counted: LoginThrottle = {
    blockedFor: (client) => {
      reads++;
      return inner.blockedFor(client);
    },
    failed: (client) => inner.failed(client),
  };
  return cacheLogins(counted, { okMs: 1000, now: () => now });
}

async function block(throttle: LoginThrottle, client: string): Promise<number> {
  let ms = 0;
  for (let i = 0; i < 11; i++) ms = await throttle.failed(client);
  return ms;
}

describe('the login throttle remembers unblocked clients for a while', () => {
  it('asks Redis once a second per client, not once a request', async () => {
    const a = replica();
    for (let i = 0; i < 50; i++) expect(await a.blockedFor('loopback')).toBe(0);
    expect(reads).toBe(1);
    now += 1001;
    expect(await a.blockedFor('loopback')).toBe(0);
    expect(reads).toBe(2);
  });

  it('a block made on this replica holds at once, for the right credentials too', async () => {
    const a = replica();
    expect(await a.blockedFor('loopback')).toBe(0);
    expect(await block(a, 'loopback')).toBeGreaterThan(0);
    expect(await a.blockedFor('loopback')).toBeGreaterThan(0);
  });

  it('a block made on another replica holds here within a second, and at once after a wrong guess here', async () => {
    const a = replica();
    const b = replica();
    expect(await b.blockedFor('loopback')).toBe(0);
    expect(await block(a, 'loopback')).toBeGreaterThan(0);
    // The bound the README states: right credentials may pass here until the memory runs out.
    expect(await b.blockedFor('loopback')).toBe(0);
    now += 1001;
    expect(await b.blockedFor('loopback')).toBeGreaterThan(0);

    const c = replica();
    expect(await c.blockedFor('loopback')).toBeGreaterThan(0);
    now += 60_000;
    await redis.del(...(await redis.keys('remediator:auth:blocked:*')));
    expect(await c.blockedFor('loopback')).toBe(0);
    // Blocked again elsewhere: the first wrong guess here is counted in Redis and answers the block.
    expect(await a.failed('loopback')).toBeGreaterThan(0);
    expect(await c.failed('loopback')).toBeGreaterThan(0);
    expect(await c.blockedFor('loopback')).toBeGreaterThan(0);
  });

  it('a blocked client is asked about in Redis every time, so a lifted block counts at once', async () => {
    const a = replica();
    await block(a, 'loopback');
    expect(await a.blockedFor('loopback')).toBeGreaterThan(0);
    await redis.del(...(await redis.keys('remediator:auth:blocked:*')));
    expect(await a.blockedFor('loopback')).toBe(0);
  });
});
