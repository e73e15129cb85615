import type { AdmissionRequest, AdmissionStore } from './types.ts';

/**
 * {@link AdmissionStore} in memory, for the backtest's throwaway state: the same rules as the Redis
 * store's scripts (see redis-admission-store.ts), on the caller's clock only. A slot holder counts
 * while its grant's expiry is after `now`; acquire takes every place or none and names the first
 * blocked one (slots in order, then the lock); the fence grows on every grant and outlives the lock.
 */
export function createMemoryAdmissionStore(): AdmissionStore {
  const slots = new Map<string, Map<string, number>>();
  const locks = new Map<string, { owner: string; expiresAt: number }>();
  const fences = new Map<string, number>();
  const holders = (key: string) => {
    let map = slots.get(key);
    if (!map) slots.set(key, (map = new Map()));
    return map;
  };
  const live = (key: string, now: number) => {
    let n = 0;
    for (const expiresAt of slots.get(key)?.values() ?? []) if (expiresAt > now) n++;
    return n;
  };
  const lockBlocks = (key: string, runId: string, now: number) => {
    const held = locks.get(key);
    return held !== undefined && held.owner !== runId && held.expiresAt > now;
  };
  return {
    async acquire({ runId, now, ttlMs, slots: wanted, lock }) {
      for (const slot of wanted) {
        const map = holders(slot.key);
        for (const [holder, expiresAt] of map) if (expiresAt <= now) map.delete(holder);
      }
      for (const slot of wanted)
        if (!holders(slot.key).has(runId) && live(slot.key, now) >= slot.limit)
          return { ok: false, blocked: slot.key };
      if (lockBlocks(lock.key, runId, now)) return { ok: false, blocked: lock.key };
      for (const slot of wanted) holders(slot.key).set(runId, now + ttlMs);
      const fence = (fences.get(lock.key) ?? 0) + 1;
      fences.set(lock.key, fence);
      locks.set(lock.key, { owner: runId, expiresAt: now + ttlMs });
      return { ok: true, fence };
    },
    async renew({ runId, now, ttlMs, slots: held, lock }) {
      for (const slot of held) if (!((slots.get(slot.key)?.get(runId) ?? 0) > now)) return false;
      const owned = locks.get(lock.key);
      if (owned?.owner !== runId || owned.expiresAt <= now) return false;
      for (const slot of held) holders(slot.key).set(runId, now + ttlMs);
      owned.expiresAt = now + ttlMs;
      return true;
    },
    async release({ runId, slots: held, lock }: Pick<AdmissionRequest, 'runId' | 'slots' | 'lock'>) {
      for (const slot of held) slots.get(slot.key)?.delete(runId);
      if (locks.get(lock.key)?.owner === runId) locks.delete(lock.key);
    },
    // The backtest parks waiting runs itself (src/backtest/parking.ts) and wakes them on its events:
    // nothing waits in this store, so there is nothing to sweep and no wake-up to remember.
    async sweep() {},
    async wokenWhileParking() {
      return false;
    },
    async peek({ runId, now, slots: wanted, lock }) {
      for (const slot of wanted)
        if (!holders(slot.key).has(runId) && live(slot.key, now) >= slot.limit)
          return { ok: false, blocked: slot.key };
      if (lockBlocks(lock.key, runId, now)) return { ok: false, blocked: lock.key };
      return { ok: true };
    },
    async usage(wanted, now) {
      return wanted.map((slot) => ({ key: slot.key, used: live(slot.key, now), limit: slot.limit }));
    },
  };
}
