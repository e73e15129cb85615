import { policyKeys } from '../policy/keys.ts';
import type { PolicyStores } from '../policy/types.ts';
import type { Inventory, Runbook } from '../types.ts';
import type { Metrics } from './metrics.ts';

const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
const TARGET_STATES = ['healthy', 'degraded', 'failing', 'recovering', 'stabilizing'] as const;

/**
 * Reads the shared policy state from Redis into gauges at scrape time, so every process reports the
 * same, cluster-wide values: circuit states, target states, healing memory and active pauses.
 */
export async function collectPolicyMetrics(
  metrics: Metrics,
  stores: PolicyStores,
  runbooks: readonly Runbook[],
  inventory: Inventory,
  now: number,
) {
  for (const rb of runbooks) {
    const state = await stores.breakers.state(policyKeys.breaker(rb.name), rb.policy.breaker, now);
    for (const s of BREAKER_STATES) metrics.circuitState.labels(rb.name, s).set(s === state ? 1 : 0);
  }
  metrics.targetState.reset();
  for (const [target, record] of await stores.targets.all()) {
    // Only inventory targets: an alert's label alone must not add series (pod IPs would be unbounded).
    if (!inventory.has(target)) continue;
    for (const s of TARGET_STATES) metrics.targetState.labels(target, s).set(s === record.state ? 1 : 0);
  }
  metrics.stepSuccessRatio.reset();
  metrics.stepAttempts.reset();
  for (const s of await stores.stats.all()) {
    metrics.stepAttempts.labels(s.runbook, s.step, s.alertname).set(s.attempts);
    if (s.attempts > 0)
      metrics.stepSuccessRatio.labels(s.runbook, s.step, s.alertname).set(s.successes / s.attempts);
  }
  metrics.pausesActive.set((await stores.pauses.active(now)).length);
}
