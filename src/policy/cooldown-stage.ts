import { pass, stop, type StageOutcome } from './outcome.ts';
import { policyKeys } from './keys.ts';
import type { StageContext } from './types.ts';

/** No new run of a runbook on a target until its cooldown after the last one is over. */
export async function cooldownStage(ctx: StageContext): Promise<StageOutcome> {
  const key = policyKeys.cooldown(ctx.runbook.name, ctx.run.target);
  const until = await ctx.stores.cooldowns.until(key, ctx.now);
  if (until !== undefined) {
    return stop('cooldown', 'cooldown', ctx.now, `cooling down until ${new Date(until).toISOString()}`);
  }
  return pass('cooldown', ctx.now);
}
