import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { pexpireMs } from './redis-lock-store.ts';
import type { StormArrival, StormStore } from './types.ts';

// KEYS: admitted (zset), count, targets (zset), distinct targets (HyperLogLog), storm marker.
// ARGV: runId, limit, target, pexpire of the window's keys, pexpire of the marker, listed targets.
// Returns {excess 0|1, arrivals, pages 0|1, distinct targets, listed target 1..n}.
const ARRIVE = `
local runId, limit = ARGV[1], tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], runId) then return {0, 0, 0, 0} end
local n = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PFADD', KEYS[4], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
if redis.call('ZCARD', KEYS[3]) < tonumber(ARGV[6]) then
  redis.call('ZADD', KEYS[3], 'NX', n, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
if n <= limit then
  redis.call('ZADD', KEYS[1], n, runId)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {0, n, 0, 0}
end
local pages = 0
if redis.call('SET', KEYS[5], runId, 'PX', ARGV[5], 'NX') then pages = 1
else
  if redis.call('GET', KEYS[5]) == runId then pages = 1 end
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
end
local out = {1, n, pages, redis.call('PFCOUNT', KEYS[4])}
for _, t in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do out[#out + 1] = t end
return out`;

/** How many targets a storm's summary names; the rest are counted. */
export const STORM_TARGETS_LISTED = 20;

/**
 * {@link StormStore} on Redis. Per runbook and arrival window (`${prefix}storm:${runbook}:${window}`):
 * `:admitted`, a sorted set of the first `limit` runs (score = arrival number), `:count`, the
 * arrivals, `:targets`, the first {@link STORM_TARGETS_LISTED} targets, and `:distinct`, a
 * HyperLogLog of every target (12 kB at most, whatever the storm's size). All expire `windowMs` plus
 * an hour after their last arrival (a backlog reaches the gate late). `${prefix}storm:${runbook}` marks
 * a storm in progress: set by its first excess run (which pages), kept while excess runs come, gone
 * two windows after the last.
 *
 * Guarantees: arrive() is one Lua script. A run admitted once is admitted again without being
 * counted (a waiting run passes the gate many times); an excess run is counted each time it comes
 * (only a crashed attempt's retry comes twice). Exactly one run pages per storm.
 */
export function createRedisStormStore(redis: Redis, prefix: string): StormStore {
  return {
    async arrive(a: StormArrival) {
      const base = `${prefix}storm:${a.runbook}`;
      const window = `${base}:${Math.floor(a.receivedAt / a.windowMs)}`;
      const keys = [`${window}:admitted`, `${window}:count`, `${window}:targets`, `${window}:distinct`, base];
      const [excess, arrivals, pages, distinct, ...listed] = (await evalScript(
        redis,
        ARRIVE,
        keys.length,
        ...keys,
        a.runId,
        a.limit,
        a.target,
        pexpireMs(a.windowMs + 3600_000),
        pexpireMs(2 * a.windowMs),
        STORM_TARGETS_LISTED,
      )) as [number, number, number, number, ...string[]];
      if (excess === 0) return { excess: false };
      return { excess: true, arrivals, pages: pages === 1, targets: listed, distinctTargets: distinct };
    },
    async peek(a) {
      const base = `${prefix}storm:${a.runbook}`;
      const [count, storm] = await Promise.all([
        redis.get(`${base}:${Math.floor(a.receivedAt / a.windowMs)}:count`),
        redis.exists(base),
      ]);
      return { arrivals: Number(count ?? 0), storm: storm === 1 };
    },
  };
}
