import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { checkRedisDurability, durabilityWarnings } from '../../../src/redis/check.ts';

function fakeRedis(config: (name: string) => Promise<unknown>): Redis {
  return { config: (_sub: string, name: string) => config(name) } as unknown as Redis;
}

describe('durabilityWarnings', () => {
  it('is quiet for noeviction with the AOF on', () => {
    expect(durabilityWarnings({ 'maxmemory-policy': 'noeviction', appendonly: 'yes', save: '' })).toEqual([]);
  });

  it('is quiet for RDB save points without the AOF', () => {
    const settings = { 'maxmemory-policy': 'noeviction', appendonly: 'no', save: '3600 1 300 100' };
    expect(durabilityWarnings(settings)).toEqual([]);
  });

  it('names the eviction policy to change', () => {
    expect(durabilityWarnings({ 'maxmemory-policy': 'volatile-lru', appendonly: 'yes', save: '' })).toEqual([
      'Redis maxmemory-policy is "volatile-lru": under memory pressure Redis may evict BullMQ jobs and locks. ' +
        'Set maxmemory-policy noeviction.',
    ]);
  });

  it('warns when nothing is persisted', () => {
    expect(durabilityWarnings({ 'maxmemory-policy': 'noeviction', appendonly: 'no', save: '' })).toEqual([
      'Redis has no persistence (appendonly no, save ""): queued remediations and run records are lost ' +
        'when it restarts. Set appendonly yes (or configure save points).',
    ]);
  });
});

describe('checkRedisDurability', () => {
  it('reads RESP2-style and map-style CONFIG GET replies', async () => {
    const values: Record<string, string> = { 'maxmemory-policy': 'allkeys-lru', appendonly: 'yes', save: '' };
    const flat = fakeRedis(async (name) => [name, values[name]]);
    const map = fakeRedis(async (name) => ({ [name]: values[name] }));
    expect(await checkRedisDurability(flat)).toHaveLength(1);
    expect(await checkRedisDurability(map)).toHaveLength(1);
  });

  it('returns one warning, not an error, when CONFIG is disabled', async () => {
    const managed = fakeRedis(async () => {
      throw new Error("ERR unknown command 'CONFIG'");
    });
    const warnings = await checkRedisDurability(managed);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Could not check Redis durability settings \(CONFIG GET failed: ERR unknown/,
    );
  });

  it('returns the same warning when CONFIG GET answers nothing', async () => {
    const warnings = await checkRedisDurability(fakeRedis(async () => []));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no value for maxmemory-policy, appendonly, save/);
  });
});
