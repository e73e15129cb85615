import type { WindowStore } from './types.ts';

/**
 * {@link WindowStore} in memory: the Redis store's rules (see redis-window-store.ts). An event at `t`
 * counts while `now - windowMs < t`; take() adds the event to every window only if none is full.
 */
export function createMemoryWindowStore(): WindowStore {
  const events = new Map<string, number[]>();
  const inWindow = (key: string, windowMs: number, now: number) =>
    (events.get(key) ?? []).filter((t) => t > now - windowMs);
  return {
    async take(windows, now) {
      for (const w of windows) events.set(w.key, inWindow(w.key, w.windowMs, now));
      const full = windows.find((w) => events.get(w.key)!.length >= w.limit);
      if (full) return { ok: false, full: full.key };
      for (const w of windows) events.get(w.key)!.push(now);
      return { ok: true };
    },
    async count(windows, now) {
      return windows.map((w) => inWindow(w.key, w.windowMs, now).length);
    },
  };
}
