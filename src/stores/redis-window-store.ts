import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';
import { pexpireMs } from './redis-lock-store.ts';
import type { WindowStore } from './types.ts';

// KEYS: window 1..n. ARGV: now, member, then per window: limit, oldest score to drop, pexpire.
// Returns 0 when the event was added everywhere, else the index of the first full window.
const TAKE = `
local now, member = ARGV[1], ARGV[2]
for i = 1, #KEYS do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[3 * i + 1]) end
for i = 1, #KEYS do
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 * i]) then return i end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], ARGV[3 * i + 2])
end
return 0`;

/**
 * {@link WindowStore} on Redis. Keys: `${prefix}window:${key}`, a sorted set of events, score = the
 * event's time (ms), member = `${now}-${uuid}` so events at the same millisecond stay distinct.
 *
 * Guarantees: take() is one Lua script. It drops the events that left each window, checks every
 * window, and adds the event to all of them only if none is full; otherwise it adds nothing and names
 * the first full window (in the order given). An event at `t` counts while `now - windowMs < t`: at
 * exactly `t + windowMs` it has left the window. Each key expires `windowMs` after its last event.
 */
export function createRedisWindowStore(redis: Redis, prefix: string): WindowStore {
  return {
    async take(windows, now) {
      if (windows.length === 0) return { ok: true };
      const keys = windows.map((window) => `${prefix}window:${window.key}`);
      const perWindow = windows.flatMap((w) => [w.limit, now - w.windowMs, pexpireMs(w.windowMs)]);
      const full = (await evalScript(
        redis,
        TAKE,
        keys.length,
        ...keys,
        now,
        `${now}-${randomUUID()}`,
        ...perWindow,
      )) as number;
      const window = windows[full - 1];
      return window === undefined ? { ok: true } : { ok: false, full: window.key };
    },
    async count(windows, now) {
      const commands = windows.map((w) => [
        'zcount',
        `${prefix}window:${w.key}`,
        `(${now - w.windowMs}`,
        '+inf',
      ]);
      const results = (await redis.pipeline(commands).exec()) ?? [];
      return results.map(([, n]) => Number(n ?? 0));
    },
  };
}
