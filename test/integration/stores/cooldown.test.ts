import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisCooldownStore } from '../../../src/stores/redis-cooldown-store.ts';
import type { CooldownStore } from '../../../src/stores/types.ts';
import { startTestRedis, type TestRedis } from '../../harness/redis.ts';

const T0 = 1_700_000_000_000;

let server: TestRedis;
let redis: Redis;
let cooldowns: CooldownStore;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  cooldowns = createRedisCooldownStore(redis, 'remediator:');
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

beforeEach(async () => {
  await redis.flushdb();
});

describe('redis cooldown store', () => {
  it('has no cooldown for a key never started', async () => {
    expect(await cooldowns.until('disk:web-1', T0)).toBeUndefined();
  });

  it('runs until just before now + ms and ends at exactly now + ms', async () => {
    await cooldowns.start('disk:web-1', 5_000, T0);
    expect(await cooldowns.until('disk:web-1', T0)).toBe(T0 + 5_000);
    expect(await cooldowns.until('disk:web-1', T0 + 4_999)).toBe(T0 + 5_000);
    expect(await cooldowns.until('disk:web-1', T0 + 5_000)).toBeUndefined();
    expect(await cooldowns.until('disk:web-2', T0)).toBeUndefined();
  });

  it('stores the end time with a matching TTL', async () => {
    await cooldowns.start('disk:web-1', 5_000, T0);
    expect(await redis.get('remediator:cooldown:disk:web-1')).toBe(String(T0 + 5_000));
    const pttl = await redis.pttl('remediator:cooldown:disk:web-1');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
  });

  it('restarts with the new end, shorter or longer', async () => {
    await cooldowns.start('k', 5_000, T0);
    await cooldowns.start('k', 1_000, T0 + 100);
    expect(await cooldowns.until('k', T0 + 100)).toBe(T0 + 1_100);
    await cooldowns.start('k', 60_000, T0 + 200);
    expect(await cooldowns.until('k', T0 + 59_000)).toBe(T0 + 60_200);
  });

  it('ends a running cooldown when started for zero milliseconds', async () => {
    await cooldowns.start('k', 5_000, T0);
    await cooldowns.start('k', 0, T0 + 1);
    expect(await cooldowns.until('k', T0 + 1)).toBeUndefined();
    expect(await redis.exists('remediator:cooldown:k')).toBe(0);
  });
});
