import type { PolicyStores } from '../policy/types.ts';
import { createMemoryAdmissionStore } from './memory-admission-store.ts';
import { createMemoryBreakerStore } from './memory-breaker-store.ts';
import { createMemoryCooldownStore } from './memory-cooldown-store.ts';
import { createMemoryOccurrenceStore } from './memory-occurrence-store.ts';
import { createMemoryPauseStore } from './memory-pause-store.ts';
import {
  createMemoryApprovalStore,
  createMemoryStatsStore,
  createMemoryTargetStore,
} from './memory-record-stores.ts';
import { createMemoryStormStore } from './memory-storm-store.ts';
import { createMemoryWindowStore } from './memory-window-store.ts';

/**
 * Every policy store in memory: a throwaway state for the backtest (which must never touch the live
 * Redis). `clock` is the virtual clock, for the one store whose interface takes no `now`.
 */
export function createMemoryPolicyStores(clock: () => number): PolicyStores {
  return {
    admission: createMemoryAdmissionStore(),
    windows: createMemoryWindowStore(),
    cooldowns: createMemoryCooldownStore(),
    breakers: createMemoryBreakerStore(),
    occurrences: createMemoryOccurrenceStore(clock),
    pauses: createMemoryPauseStore(),
    stats: createMemoryStatsStore(),
    targets: createMemoryTargetStore(),
    approvals: createMemoryApprovalStore(),
    storms: createMemoryStormStore(),
  };
}
