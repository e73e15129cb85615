import { STORM_TARGETS_LISTED } from './redis-storm-store.ts';
import type { StormArrival, StormStore } from './types.ts';

interface Window {
  readonly admitted: Set<string>;
  arrivals: number;
  readonly targets: string[];
  readonly distinct: Set<string>;
}

/**
 * {@link StormStore} in memory, for the backtest: the Redis store's rules (see redis-storm-store.ts)
 * on the replay's own time, the run's arrival. A runbook's windows older than the current one are
 * forgotten (a replay moves forward), and the storm marker ends two windows after its last excess run.
 * Distinct targets are counted exactly (Redis estimates them with a HyperLogLog).
 */
export function createMemoryStormStore(): StormStore {
  const windows = new Map<string, { index: number; window: Window }>();
  const storms = new Map<string, { runId: string; until: number }>();
  return {
    async arrive(a: StormArrival) {
      const index = Math.floor(a.receivedAt / a.windowMs);
      let entry = windows.get(a.runbook);
      // A waiting run reaches the gate again later: its own (older) window is still the one it counts in.
      if (entry === undefined || entry.index < index) {
        entry = { index, window: { admitted: new Set(), arrivals: 0, targets: [], distinct: new Set() } };
        windows.set(a.runbook, entry);
      }
      const w = entry.window;
      if (w.admitted.has(a.runId)) return { excess: false };
      w.arrivals++;
      w.distinct.add(a.target);
      if (w.targets.length < STORM_TARGETS_LISTED && !w.targets.includes(a.target)) w.targets.push(a.target);
      if (w.arrivals <= a.limit) {
        w.admitted.add(a.runId);
        return { excess: false };
      }
      const storm = storms.get(a.runbook);
      const pages = storm === undefined || storm.until <= a.receivedAt || storm.runId === a.runId;
      const runId = pages ? a.runId : storm!.runId;
      storms.set(a.runbook, { runId, until: a.receivedAt + 2 * a.windowMs });
      return {
        excess: true,
        arrivals: w.arrivals,
        pages,
        targets: [...w.targets],
        distinctTargets: w.distinct.size,
      };
    },
    async peek(a) {
      const entry = windows.get(a.runbook);
      const arrivals = entry?.index === Math.floor(a.receivedAt / a.windowMs) ? entry.window.arrivals : 0;
      const storm = storms.get(a.runbook);
      return { arrivals, storm: storm !== undefined && storm.until > a.receivedAt };
    },
  };
}
