import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';

/**
 * BullMQ's highest usable priority is 2,097,152; beyond this cap jobs are served first come, first
 * served (fairness degrades to FIFO after about two million turns without an empty queue).
 */
export const MAX_PRIORITY = 2_000_000;

// KEYS: the fair-order hash. ARGV: cap, then one runbook per job, in order. Returns their priorities.
const TURNS = `
local cap = tonumber(ARGV[1])
local v = tonumber(redis.call('HGET', KEYS[1], '#v') or '0')
local seqs, out = {}, {}
for i = 2, #ARGV do
  local rb = ARGV[i]
  local s = seqs[rb] or tonumber(redis.call('HGET', KEYS[1], 'rb:' .. rb) or '0')
  local p = math.min(math.max(s, v) + 1, cap)
  seqs[rb] = p
  out[#out + 1] = p
end
for rb, s in pairs(seqs) do redis.call('HSET', KEYS[1], 'rb:' .. rb, s) end
return out`;

// KEYS: the fair-order hash. ARGV: the priority of a job that started.
const STARTED = `
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], '#v') or '0') then
  redis.call('HSET', KEYS[1], '#v', ARGV[1])
end
return 1`;

/**
 * Fair turns between runbooks (start-time fair queueing on BullMQ priorities): a job gets priority
 * `max(its runbook's last priority, the priority last started) + 1`. Within a runbook priorities
 * grow, so its runs keep their order; a runbook with nothing queued starts right after what is being
 * served now, so its fresh alert waits for one turn of each busy runbook, not for their backlogs.
 */
export interface FairOrder {
  /** Priorities for jobs of these runbooks, in order (one round trip). */
  turns(runbooks: readonly string[]): Promise<number[]>;
  /** A job with this priority started: the turn being served. */
  started(priority: number): Promise<void>;
}

export function createFairOrder(redis: Redis, prefix: string): FairOrder {
  const key = `${prefix}fair`;
  return {
    async turns(runbooks) {
      if (runbooks.length === 0) return [];
      return (await evalScript(redis, TURNS, 1, key, MAX_PRIORITY, ...runbooks)) as number[];
    },
    async started(priority) {
      if (priority > 0) await evalScript(redis, STARTED, 1, key, priority);
    },
  };
}
