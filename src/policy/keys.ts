/** Redis key names (under the configured prefix) of every piece of policy state, in one place. */
export const policyKeys = {
  cooldown: (runbook: string, target: string) => `cooldown:${runbook}:${target}`,
  breaker: (runbook: string) => `breaker:${runbook}`,
  rateGlobal: () => 'rate:global',
  rateRunbook: (runbook: string) => `rate:runbook:${runbook}`,
  rateTarget: (runbook: string, target: string) => `rate:target:${runbook}:${target}`,
  inflightGlobal: () => 'inflight:global',
  inflightRunbook: (runbook: string) => `inflight:runbook:${runbook}`,
  group: (group: string) => `group:${group}`,
  /** The lock store adds its own `lock:` in front. */
  targetLock: (target: string) => `target:${target}`,
};
