import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import type { BreakerOptions, BreakerState, BreakerStore } from './types.ts';

// KEYS: breaker hash, failures. ARGV: now, failures, withinMs, coolOffMs, then per script.
// `stored` is what the hash says (absent = closed); `effective` is what callers see at `now`:
// an open breaker whose cool-off has ended is half-open (its trial not granted yet).
const PRELUDE = `
local now, threshold, within, coolOff = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'trialUntil')
local stored, openedAt, trialUntil = b[1] or 'closed', tonumber(b[2]) or 0, tonumber(b[3]) or 0
local function effective()
  if stored == 'open' and now >= openedAt + coolOff then return 'half_open' end
  return stored
end
local function open()
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', now)
  redis.call('HDEL', KEYS[1], 'trialUntil')
  redis.call('DEL', KEYS[2])
end`;

// Returns {ok, state, trial, retryAt?}.
const ADMIT = `${PRELUDE}
if stored == 'closed' then return {1, 'closed', 0} end
if stored == 'open' and now < openedAt + coolOff then return {0, 'open', 0, openedAt + coolOff} end
if stored == 'half_open' and now < trialUntil then return {0, 'half_open', 0, trialUntil} end
redis.call('HSET', KEYS[1], 'state', 'half_open', 'trialUntil', now + coolOff)
return {1, 'half_open', 1}`;

// ARGV[5]: outcome, ARGV[6]: '1' for the trial, ARGV[7]: a unique member for a failure.
const RECORD = `${PRELUDE}
local failure, trial = ARGV[5] == 'failure', ARGV[6] == '1'
if stored == 'half_open' and trial then
  if failure then
    open()
    return 'open'
  end
  redis.call('DEL', KEYS[1], KEYS[2])
  return 'closed'
end
if stored == 'closed' and failure then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - within)
  redis.call('ZADD', KEYS[2], now, ARGV[7])
  redis.call('PEXPIRE', KEYS[2], math.max(1, math.ceil(within)))
  if redis.call('ZCARD', KEYS[2]) >= threshold then open() end
  return redis.call('HGET', KEYS[1], 'state') or 'closed'
end
return effective()`;

const STATE = `${PRELUDE}
return effective()`;

/**
 * {@link BreakerStore} on Redis. Keys:
 * - `${prefix}breaker:${key}`: a hash `{ state, openedAt, trialUntil }`; absent means closed;
 * - `${prefix}breaker:${key}:failures`: a sorted set of failure times (ms), expiring `withinMs` after
 *   the last one.
 *
 * Guarantees: every call is one Lua script. Closed: a failure counts while `now - withinMs < t`, and
 * the `failures`-th one within the window opens the breaker (openedAt = now); a success leaves the
 * failures to age out. Open: admit() refuses with `retryAt = openedAt + coolOffMs`; from then on the
 * breaker is half-open and the first admit() gets the one trial (the grant is a field written in the
 * same script, so concurrent callers cannot both get it); the others are refused with `retryAt` = when
 * the grant lapses. The trial's success closes the breaker and clears the failures; its failure
 * re-opens it with a new openedAt. Outcomes recorded with `trial: true` count only while half-open;
 * other outcomes of runs admitted before the breaker opened change nothing.
 *
 * A trial that never reports (its process crashed) would leave the breaker half-open for ever, so its
 * grant lapses `coolOffMs` after it was given: the next admit() after that gets a new trial.
 */
export function createRedisBreakerStore(redis: Redis, prefix: string): BreakerStore {
  const run = (script: string, key: string, options: BreakerOptions, now: number, ...rest: string[]) =>
    evalScript(
      redis,
      script,
      2,
      `${prefix}breaker:${key}`,
      `${prefix}breaker:${key}:failures`,
      now,
      options.failures,
      options.withinMs,
      options.coolOffMs,
      ...rest,
    );
  return {
    async admit(key, options, now) {
      const reply = (await run(ADMIT, key, options, now)) as [number, BreakerState, number, number?];
      const [ok, state, trial, retryAt] = reply;
      const result = { ok: ok === 1, state, trial: trial === 1 };
      return retryAt === undefined ? result : { ...result, retryAt };
    },
    async record(key, outcome, options, now, trial) {
      const member = `${now}-${randomUUID()}`;
      return (await run(RECORD, key, options, now, outcome, trial ? '1' : '0', member)) as BreakerState;
    },
    async state(key, options, now) {
      return (await run(STATE, key, options, now)) as BreakerState;
    },
  };
}
