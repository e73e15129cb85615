import type { ApprovalStore, StatsStore, TargetRecord, TargetStore } from './types.ts';

/** {@link StatsStore} in memory (healing memory per runbook, alertname and step). */
export function createMemoryStatsStore(): StatsStore {
  const pairs = new Map<string, Map<string, { attempts: number; successes: number }>>();
  const keyOf = (runbook: string, alertname: string) => JSON.stringify([runbook, alertname]);
  return {
    async record(runbook, alertname, step, success) {
      const key = keyOf(runbook, alertname);
      const steps = pairs.get(key) ?? new Map();
      pairs.set(key, steps);
      const counts = steps.get(step) ?? { attempts: 0, successes: 0 };
      steps.set(step, { attempts: counts.attempts + 1, successes: counts.successes + (success ? 1 : 0) });
    },
    async get(runbook, alertname) {
      return Object.fromEntries(pairs.get(keyOf(runbook, alertname)) ?? []);
    },
    async all() {
      return [...pairs.keys()].sort().flatMap((key) => {
        const [runbook, alertname] = JSON.parse(key) as [string, string];
        return [...pairs.get(key)!.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([step, counts]) => ({ runbook, alertname, step, ...counts }));
      });
    },
  };
}

/** {@link TargetStore} in memory. */
export function createMemoryTargetStore(): TargetStore {
  const firing = new Map<string, Set<string>>();
  const states = new Map<string, { record: TargetRecord; version: number }>();
  const alert = (target: string, occurrence: string, on: boolean) => {
    const set = firing.get(target) ?? new Set();
    firing.set(target, set);
    const had = set.has(occurrence);
    if (on) set.add(occurrence);
    else set.delete(occurrence);
    return { changed: had !== on, firing: set.size };
  };
  return {
    async alert(target, occurrence, on) {
      return alert(target, occurrence, on).firing;
    },
    async alerts(events) {
      return events.map((e) => alert(e.target, e.occurrence, e.firing));
    },
    async get(target) {
      const s = states.get(target);
      return s ? { record: s.record, version: s.version } : { version: 0 };
    },
    async compareAndSet(target, version, record) {
      if ((states.get(target)?.version ?? 0) !== version) return false;
      states.set(target, { record, version: version + 1 });
      return true;
    },
    async all() {
      return new Map(
        [...states.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, s]) => [t, s.record]),
      );
    },
  };
}

/** {@link ApprovalStore} in memory. */
export function createMemoryApprovalStore(): ApprovalStore {
  const pending = new Map<string, number>();
  let secretId: string | null = null;
  return {
    async add(runId, requestedAt) {
      pending.set(runId, requestedAt);
    },
    async remove(runId) {
      pending.delete(runId);
    },
    async pending(now) {
      const oldest = Math.min(now, ...pending.values());
      return { count: pending.size, oldestMs: Math.max(0, now - oldest) };
    },
    async swapSecretId(id) {
      const before = secretId;
      secretId = id;
      return before;
    },
  };
}
