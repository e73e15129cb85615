import { pass, stop, type StageOutcome } from './outcome.ts';
import { policyKeys } from './keys.ts';
import type { StageContext } from './types.ts';

/** Refuses at once while the runbook's circuit is open, before the run waits for anything. */
export async function breakerStage(ctx: StageContext): Promise<StageOutcome> {
  const { breaker } = ctx.runbook.policy;
  const state = await ctx.stores.breakers.state(policyKeys.breaker(ctx.runbook.name), breaker, ctx.now);
  if (state === 'open') {
    return stop(
      'breaker',
      'circuit_open',
      ctx.now,
      `runbook failed ${breaker.failures} times within its window; cooling off`,
    );
  }
  return pass('breaker', ctx.now, state === 'half_open' ? 'half-open: a trial run may go' : undefined);
}

/** After admission: takes the breaker's permission for real (a half-open breaker lets exactly one trial through). */
export async function admitBreaker(ctx: StageContext): Promise<{ outcome: StageOutcome; trial: boolean }> {
  const key = policyKeys.breaker(ctx.runbook.name);
  const result = await ctx.stores.breakers.admit(key, ctx.runbook.policy.breaker, ctx.now);
  if (!result.ok) {
    const detail = result.state === 'half_open' ? 'half-open: another run is the trial' : 'circuit open';
    return { outcome: stop('breaker', 'circuit_open', ctx.now, detail), trial: false };
  }
  return {
    outcome: pass('breaker', ctx.now, result.trial ? 'trial run (half-open)' : undefined),
    trial: result.trial,
  };
}
