import { STORM_TARGETS_LISTED } from './redis-storm-store.ts';
import type { StormArrival, StormStore } from './types.ts';

interface Window {
  readonly admitted: Set<string>;
  arrivals: number;
  readonly targets: string[];
  readonly distinct: Set<string>;
}

/** Windows kept after a runbook's newest, as Redis keeps a window's keys an hour past its last arrival. */
const keptWindows = (windowMs: number) => Math.ceil((windowMs + 3600_000) / windowMs);

/**
 * {@link StormStore} in memory, for the backtest: the Redis store's rules (see redis-storm-store.ts)
 * on the replay's own time, the run's arrival. A run counts in its arrival's window, also when it
 * comes back to the gate after newer windows began (a waiting run); windows an hour older than a
 * runbook's newest are forgotten. The storm marker ends two windows after its last excess run.
 * Distinct targets are counted exactly (Redis estimates them with a HyperLogLog).
 */
export function createMemoryStormStore(): StormStore {
  const windows = new Map<string, Map<number, Window>>();
  const storms = new Map<string, { runId: string; until: number }>();
  const windowOf = (a: Pick<StormArrival, 'runbook' | 'receivedAt' | 'windowMs'>, create: boolean) => {
    const index = Math.floor(a.receivedAt / a.windowMs);
    let byIndex = windows.get(a.runbook);
    if (byIndex === undefined) windows.set(a.runbook, (byIndex = new Map()));
    let w = byIndex.get(index);
    if (w === undefined && create) {
      w = { admitted: new Set(), arrivals: 0, targets: [], distinct: new Set() };
      byIndex.set(index, w);
      for (const old of byIndex.keys()) if (old < index - keptWindows(a.windowMs)) byIndex.delete(old);
    }
    return w;
  };
  return {
    async arrive(a: StormArrival) {
      const w = windowOf(a, true)!;
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
      // A waiting run coming back carries its old arrival: it never shortens the storm.
      const until = Math.max(pages ? 0 : storm!.until, a.receivedAt + 2 * a.windowMs);
      storms.set(a.runbook, { runId, until });
      return {
        excess: true,
        arrivals: w.arrivals,
        pages,
        targets: [...w.targets],
        distinctTargets: w.distinct.size,
      };
    },
    async peek(a) {
      const arrivals = windowOf(a, false)?.arrivals ?? 0;
      const storm = storms.get(a.runbook);
      return { arrivals, storm: storm !== undefined && storm.until > a.receivedAt };
    },
  };
}
