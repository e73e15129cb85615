import type { AdmissionRequest, BreakerState } from '../stores/types.ts';
import type { Runbook } from '../types.ts';
import { policyKeys } from './keys.ts';
import type { PolicyStores } from './types.ts';

/** How a run ended, as far as the policy state cares. */
export interface RunEnd {
  readonly status: 'succeeded' | 'failed' | 'unknown' | 'skipped';
  /** Some step ran (succeeded or failed). */
  readonly acted: boolean;
  /** The run was the half-open breaker's trial. */
  readonly trial: boolean;
  /** Places held through the gate, given back now. */
  readonly admission?: AdmissionRequest;
}

/** Runs one effect; the service logs a failing one and goes on with the others. */
export type Effect = (what: string, work: () => Promise<unknown>) => Promise<unknown>;

const direct: Effect = (_what, work) => work();

/**
 * What a run's end does to the policy state: start the cooldown, feed the circuit breaker, give back
 * the places. The service (finishRun) and the backtest both call this, so they cannot drift. Returns
 * the breaker's state after the outcome was recorded (undefined when nothing was recorded).
 */
export async function applyRunEnd(
  stores: Pick<PolicyStores, 'cooldowns' | 'breakers' | 'admission'>,
  runbook: Runbook | undefined,
  target: string,
  end: RunEnd,
  now: number,
  effect: Effect = direct,
): Promise<BreakerState | undefined> {
  // Cooldown and breaker are written before the lock is given back, so the next run on this target,
  // waiting for the lock, finds them.
  if (runbook && end.acted && runbook.policy.cooldownMs > 0) {
    await effect('cooldown', () =>
      stores.cooldowns.start(policyKeys.cooldown(runbook.name, target), runbook.policy.cooldownMs, now),
    );
  }
  // The breaker counts runs whose steps ran: a broken alert or inventory entry is not the fix failing.
  // Nor is a run that ended `unknown` (its process died, or Redis went away and it lost its lock,
  // mid-step): that says nothing about the fix, and counting it would let one Redis restart open the
  // circuit of every runbook that had runs in flight. An unknown trial run reports nothing; its grant
  // lapses after the cool-off and another run becomes the trial.
  let breaker: BreakerState | undefined;
  if (runbook && end.acted && (end.status === 'succeeded' || end.status === 'failed')) {
    const outcome = end.status === 'succeeded' ? 'success' : 'failure';
    await effect('breaker', async () => {
      breaker = await stores.breakers.record(
        policyKeys.breaker(runbook.name),
        outcome,
        runbook.policy.breaker,
        now,
        end.trial,
      );
    });
  }
  const admission = end.admission;
  if (admission) await effect('release', () => stores.admission.release(admission));
  return breaker;
}
