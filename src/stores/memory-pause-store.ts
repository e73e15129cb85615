import type { Pause, PauseStore } from './types.ts';

/** {@link PauseStore} in memory: the Redis store's rules (see redis-pause-store.ts), without pruning. */
export function createMemoryPauseStore(): PauseStore {
  const pauses = new Map<string, Pause>();
  return {
    async create(pause) {
      pauses.set(pause.id, pause);
    },
    async active(now) {
      return newestFirst([...pauses.values()].filter((p) => Date.parse(p.expiresAt) > now));
    },
    async expire(id, now) {
      const pause = pauses.get(id);
      if (!pause) return false;
      if (Date.parse(pause.expiresAt) > now)
        pauses.set(id, { ...pause, expiresAt: new Date(now).toISOString() });
      return true;
    },
    async list() {
      return newestFirst([...pauses.values()]);
    },
  };
}

function newestFirst(pauses: Pause[]): Pause[] {
  return pauses.sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
