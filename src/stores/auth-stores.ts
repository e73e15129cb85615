import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript } from '../redis/script.ts';

/** Remembers what was used once (a Slack callback), so the same signed body cannot count twice. */
export interface ReplayStore {
  /** True the first time `key` is seen within `ttlMs`; false for every repeat. */
  firstUse(key: string, ttlMs: number): Promise<boolean>;
}

/** Console logins, server-side: a cookie counts only while its session id is stored here. */
export interface SessionStore {
  start(sid: string, ttlMs: number): Promise<void>;
  active(sid: string): Promise<boolean>;
  /** Logout: the cookie (and every copy of it) stops counting at once. */
  end(sid: string): Promise<void>;
}

/** How failed logins slow a client down: free tries, then blocks that double, up to a ceiling. */
export interface ThrottleOptions {
  /** Failures allowed before the first block. @defaultValue 10 */
  readonly freeFailures: number;
  /** The first block. @defaultValue 1s */
  readonly baseBlockMs: number;
  /** The longest block. @defaultValue 15m */
  readonly maxBlockMs: number;
  /** Failures are forgotten after this long without one. @defaultValue 15m */
  readonly windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 10,
  baseBlockMs: 1_000,
  maxBlockMs: 15 * 60_000,
  windowMs: 15 * 60_000,
};

/** Failed logins per client address, shared by every process on the Redis. */
export interface LoginThrottle {
  /** How long (ms) this client is still blocked; 0 when it may try. */
  blockedFor(client: string): Promise<number>;
  /** Counts a failure; answers how long (ms) the client is now blocked (0: not yet). */
  failed(client: string): Promise<number>;
}

export interface AuthStores {
  readonly replays: ReplayStore;
  readonly sessions: SessionStore;
  readonly logins: LoginThrottle;
}

// One failure: count it (the count lives `window` after the last failure); from the free tries on,
// block for base * 2^(failures - free - 1), capped. Atomic, so replicas racing on one client agree.
const FAILED = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local free = tonumber(ARGV[1])
if n <= free then return 0 end
local block = math.min(tonumber(ARGV[2]) * 2 ^ math.min(n - free - 1, 40), tonumber(ARGV[3]))
redis.call('SET', KEYS[2], n, 'PX', math.floor(block))
return math.floor(block)
`;

/** Keys hold a digest of the client address or signature, never the text itself (it can be long or odd). */
const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

export function createAuthStores(
  redis: Redis,
  prefix: string,
  throttle: ThrottleOptions = DEFAULT_THROTTLE,
): AuthStores {
  const key = (kind: string, id: string) => `${prefix}auth:${kind}:${digest(id)}`;
  return {
    replays: {
      async firstUse(id, ttlMs) {
        return (await redis.set(key('used', id), '1', 'PX', Math.max(1, ttlMs), 'NX')) === 'OK';
      },
    },
    sessions: {
      async start(sid, ttlMs) {
        await redis.set(key('session', sid), '1', 'PX', Math.max(1, ttlMs));
      },
      async active(sid) {
        return (await redis.exists(key('session', sid))) === 1;
      },
      async end(sid) {
        await redis.del(key('session', sid));
      },
    },
    logins: {
      async blockedFor(client) {
        return Math.max(0, await redis.pttl(key('blocked', client)));
      },
      async failed(client) {
        const { freeFailures, baseBlockMs, maxBlockMs, windowMs } = throttle;
        const ms = await evalScript(
          redis,
          FAILED,
          2,
          key('failures', client),
          key('blocked', client),
          freeFailures,
          baseBlockMs,
          maxBlockMs,
          windowMs,
        );
        return Number(ms);
      },
    },
  };
}
