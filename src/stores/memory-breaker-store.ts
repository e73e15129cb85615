import type { BreakerOptions, BreakerState, BreakerStore } from './types.ts';

interface Entry {
  state: 'closed' | 'open' | 'half_open';
  openedAt: number;
  trialUntil: number;
  failures: number[];
}

/** {@link BreakerStore} in memory: the Redis store's scripts (see redis-breaker-store.ts), step by step. */
export function createMemoryBreakerStore(): BreakerStore {
  const breakers = new Map<string, Entry>();
  const entry = (key: string): Entry => {
    let e = breakers.get(key);
    if (!e) breakers.set(key, (e = { state: 'closed', openedAt: 0, trialUntil: 0, failures: [] }));
    return e;
  };
  const effective = (e: Entry, o: BreakerOptions, now: number): BreakerState =>
    e.state === 'open' && now >= e.openedAt + o.coolOffMs ? 'half_open' : e.state;
  const open = (e: Entry, now: number) =>
    Object.assign(e, { state: 'open', openedAt: now, trialUntil: 0, failures: [] });
  return {
    async admit(key, o, now) {
      const e = entry(key);
      if (e.state === 'closed') return { ok: true, state: 'closed', trial: false };
      if (e.state === 'open' && now < e.openedAt + o.coolOffMs)
        return { ok: false, state: 'open', trial: false, retryAt: e.openedAt + o.coolOffMs };
      if (e.state === 'half_open' && now < e.trialUntil)
        return { ok: false, state: 'half_open', trial: false, retryAt: e.trialUntil };
      Object.assign(e, { state: 'half_open', trialUntil: now + o.coolOffMs });
      return { ok: true, state: 'half_open', trial: true };
    },
    async record(key, outcome, o, now, trial) {
      const e = entry(key);
      const failure = outcome === 'failure';
      if (e.state === 'half_open' && trial) {
        if (failure) {
          open(e, now);
          return 'open';
        }
        breakers.delete(key);
        return 'closed';
      }
      if (e.state === 'closed' && failure) {
        e.failures = e.failures.filter((t) => t > now - o.withinMs);
        e.failures.push(now);
        if (e.failures.length >= o.failures) open(e, now);
        return e.state;
      }
      return effective(e, o, now);
    },
    async state(key, o, now) {
      return effective(entry(key), o, now);
    },
  };
}
