import type { LoginThrottle } from './auth-stores.ts';

export interface LoginCacheOptions {
  /** How long a client found unblocked is taken as unblocked without asking Redis again. @defaultValue 1000 */
  readonly okMs?: number;
  /** Clients remembered at most; beyond, the memory starts afresh. @defaultValue 10000 */
  readonly maxClients?: number;
  readonly now: () => number;
}

/**
 * Remembers, for `okMs`, that a client was not blocked, so that an authenticated request does not
 * read Redis each time (that read was a fifth of the webhook's CPU under load). Only that answer is
 * remembered: a blocked client is asked about in Redis every time, and any failure of a client
 * forgets it here, so its next request reads Redis again (and the failure itself, counted in Redis,
 * tells this process at once when it blocked the client). The one thing the memory delays: a block
 * set by another replica holds here for requests with right credentials at most `okMs` late; every
 * wrong guess here is counted in Redis as before and ends the memory.
 */
export function cacheLogins(inner: LoginThrottle, options: LoginCacheOptions): LoginThrottle {
  const okMs = options.okMs ?? 1000;
  const maxClients = options.maxClients ?? 10_000;
  // Client block -> until when it counts as unblocked.
  const okUntil = new Map<string, number>();
  // Counts failures: an answer read while one was being counted is not remembered.
  let failures = 0;
  return {
    async blockedFor(client) {
      const until = okUntil.get(client);
      if (until !== undefined && until > options.now()) return 0;
      const asked = options.now();
      const before = failures;
      const ms = await inner.blockedFor(client);
      if (ms > 0 || failures !== before) {
        okUntil.delete(client);
        return ms;
      }
      if (okUntil.size >= maxClients) okUntil.clear();
      okUntil.set(client, asked + okMs);
      return 0;
    },
    async failed(client) {
      failures++;
      okUntil.delete(client);
      return inner.failed(client);
    },
  };
}
