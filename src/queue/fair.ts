import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { runKeyPrefix } from '../record/runs-store.ts';
import type { RunStatus } from '../types.ts';

/**
 * BullMQ's highest usable priority is 2,097,152; beyond this cap jobs are served first come, first
 * served. Nothing resets the turns (a reset while a parked run waits with a high turn would put it
 * behind every new one), so fairness degrades to FIFO after about two million turns in all; README
 * says how an operator starts the count again.
 */
export const MAX_PRIORITY = 2_000_000;

// KEYS: the fair-order hash. ARGV: cap, run key prefix, then (run id, runbook) per run. Returns, per
// run, its stored status ('' when none) and its priority: a new turn when it is not stored yet; its
// runbook's current turn, without moving the count, when it is stored and still queued (its job is
// added again only if missing: same id); else 0. A re-sent storm (Alertmanager sends a group again
// every group_interval) must not move its runbook's count: that would use up the turns (MAX_PRIORITY)
// once per re-send of every waiting run.
const TURNS = `
local cap = tonumber(ARGV[1])
local v = tonumber(redis.call('HGET', KEYS[1], '#v') or '0')
local seqs, out = {}, {}
for i = 3, #ARGV, 2 do
  local status = redis.call('HGET', ARGV[2] .. ARGV[i], 'status') or ''
  local p = 0
  if status == '' or status == 'queued' then
    local rb = ARGV[i + 1]
    local s = seqs[rb] or tonumber(redis.call('HGET', KEYS[1], 'rb:' .. rb) or '0')
    if status == '' then
      p = math.min(math.max(s, v) + 1, cap)
      seqs[rb] = p
    else
      p = math.min(math.max(s, 1), cap)
    end
  end
  out[#out + 1] = status
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

export interface Turn {
  /** The run's stored status; undefined when it is not stored yet. */
  readonly status: RunStatus | undefined;
  /** Its BullMQ priority when it is to be queued (not stored yet, or still queued), else 0. */
  readonly priority: number;
}

/**
 * Fair turns between runbooks (start-time fair queueing on BullMQ priorities): a job gets priority
 * `max(its runbook's last priority, the priority last started) + 1`. Within a runbook priorities
 * grow, so its runs keep their order; a runbook with nothing queued starts right after what is being
 * served now, so its fresh alert waits for one turn of each busy runbook, not for their backlogs.
 */
export interface FairOrder {
  /**
   * For each run, in order, its stored status and its turn (one round trip). Only runs not stored yet
   * take a new turn: a re-sent alert whose run is queued, started or ended does not push its runbook
   * back (a still queued one gets its runbook's current turn, for its job if that is missing).
   */
  turns(runs: ReadonlyArray<{ id: string; runbook: string }>): Promise<Turn[]>;
  /** A job with this priority started: the turn being served. */
  started(priority: number): Promise<void>;
}

export function createFairOrder(redis: Redis, prefix: string): FairOrder {
  const key = `${prefix}fair`;
  return {
    async turns(runs) {
      if (runs.length === 0) return [];
      const args: Array<string | number> = [key, MAX_PRIORITY, runKeyPrefix(prefix)];
      for (const r of runs) args.push(r.id, r.runbook);
      const out = (await evalScript(redis, TURNS, 1, ...args)) as Array<string | number>;
      return runs.map((_, i) => ({
        status: (out[2 * i] || undefined) as RunStatus | undefined,
        priority: Number(out[2 * i + 1]),
      }));
    },
    async started(priority) {
      if (priority > 0) await evalScript(redis, STARTED, 1, key, priority);
    },
  };
}
