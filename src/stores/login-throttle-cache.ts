import type { LoginThrottle } from './auth-stores.ts';

export interface LoginCacheOptions {
  /** How long a client found unblocked is taken as unblocked without asking Redis again. @defaultValue 1000 */
  readonly okMs?: number;
  /** Clients remembered at most; beyond, the memory starts afresh. @defaultValue 10000 */
  readonly maxClients?: number;
  /** Milliseconds from a clock that never goes back (`performance.now`); one set back is caught too. */
  readonly now: () => number;
}

/**
 * Remembers, for `okMs`, that a client was not blocked, so that an authenticated request does not
 * read Redis each time (that read was a fifth of the webhook's CPU under load). Only that answer is
 * remembered: a blocked client is asked about in Redis every time, and any failure of a client
 * forgets it here, so its next request reads Redis again (and the failure itself, counted in Redis,
 * tells this process at once when it blocked the client). The one thing the memory delays: a block
 * set by another replica holds here at most `okMs` late. Until then the client's requests pass here,
 * right credentials or not, up to its first wrong guess here, which is counted in Redis and ends the
 * memory (every request parsed in the same turn of the event loop, pipelined ones say, passes with
 * it: no more than the batch a guesser can already send the moment any block ends).
 */
export function cacheLogins(inner: LoginThrottle, options: LoginCacheOptions): LoginThrottle {
  const okMs = options.okMs ?? 1000;
  const maxClients = options.maxClients ?? 10_000;
  // Client block -> when Redis last said it was unblocked. Kept as that time, not as an end, so that a
  // clock set back (an hour, say) cannot stretch the memory: an answer from the "future" is not used.
  const okSince = new Map<string, number>();
  // Counts failures: an answer read while one was being counted is not remembered.
  let failures = 0;
  return {
    async blockedFor(client) {
      const since = okSince.get(client);
      const asked = options.now();
      if (since !== undefined && asked >= since && asked - since < okMs) return 0;
      const before = failures;
      const ms = await inner.blockedFor(client);
      if (ms > 0 || failures !== before) {
        okSince.delete(client);
        return ms;
      }
      if (okSince.size >= maxClients) okSince.clear();
      okSince.set(client, asked);
      return 0;
    },
    async failed(client) {
      failures++;
      okSince.delete(client);
      return inner.failed(client);
    },
  };
}
