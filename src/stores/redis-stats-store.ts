import type { Redis } from 'ioredis';
import type { StatsStore } from './types.ts';

type StepCounts = Record<string, { attempts: number; successes: number }>;
type Counter = 'attempts' | 'successes';

/**
 * Healing memory. One hash per (runbook, alertname) holds `${step}:attempts` and `${step}:successes`;
 * the set `${prefix}stats` lists the pairs, each JSON-encoded (`["runbook","alertname"]`), and the
 * hash key ends in the same JSON, so a `:` or a space in a name can never be misread. Step names
 * may hold `:` too: a field is split at its last `:`, and the suffix is one of two fixed words.
 */
export function createRedisStatsStore(redis: Redis, prefix: string): StatsStore {
  const indexKey = `${prefix}stats`;
  const pairKey = (member: string): string => `${prefix}stats:${member}`;
  const member = (runbook: string, alertname: string): string => JSON.stringify([runbook, alertname]);
  return {
    async record(runbook, alertname, step, success) {
      const pair = member(runbook, alertname);
      const results = await redis
        .multi()
        .hincrby(pairKey(pair), `${step}:attempts`, 1)
        // Incrementing by 0 still creates the field, so every recorded step shows both counters.
        .hincrby(pairKey(pair), `${step}:successes`, success ? 1 : 0)
        .sadd(indexKey, pair)
        .exec();
      for (const [err] of results ?? []) if (err) throw err;
    },
    async get(runbook, alertname) {
      return countsOf(await redis.hgetall(pairKey(member(runbook, alertname))));
    },
    async all() {
      const pairs = (await redis.smembers(indexKey)).sort();
      if (pairs.length === 0) return [];
      const hashes = (await redis.pipeline(pairs.map((p) => ['hgetall', pairKey(p)])).exec()) ?? [];
      return pairs.flatMap((pair, i) => {
        const [err, hash] = hashes[i] ?? [null, {}];
        if (err) throw err;
        const [runbook, alertname] = JSON.parse(pair) as [string, string];
        return Object.entries(countsOf(hash as Record<string, string>))
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([step, counts]) => ({ runbook, alertname, step, ...counts }));
      });
    },
  };
}

function countsOf(hash: Record<string, string>): StepCounts {
  // A Map, not an object literal: a step may be called `__proto__`.
  const counts = new Map<string, { attempts: number; successes: number }>();
  for (const [field, value] of Object.entries(hash)) {
    const at = field.lastIndexOf(':');
    const counter = field.slice(at + 1);
    if (at < 0 || (counter !== 'attempts' && counter !== 'successes')) continue;
    const step = field.slice(0, at);
    const entry = counts.get(step) ?? { attempts: 0, successes: 0 };
    entry[counter as Counter] = Number(value);
    counts.set(step, entry);
  }
  return Object.fromEntries(counts);
}
