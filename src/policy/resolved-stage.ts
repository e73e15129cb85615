import { occurrenceId } from '../ingest/occurrence.ts';
import { pass, stop, type StageOutcome } from './outcome.ts';
import type { StageContext } from './types.ts';

/** A run whose alert occurrence has resolved has nothing left to fix. */
export async function resolvedStage(ctx: StageContext): Promise<StageOutcome> {
  // A runbook `on: resolved` acts *because* the alert resolved.
  if (ctx.runbook.on === 'resolved') return pass('resolved', ctx.now, 'runbook acts on resolved alerts');
  const { alert } = ctx.run;
  const [resolved] = await ctx.stores.occurrences.areResolved([
    occurrenceId(alert.fingerprint, alert.startsAt),
  ]);
  if (resolved)
    return stop('resolved', 'resolved', ctx.now, 'the alert resolved before the run acted', false);
  return pass('resolved', ctx.now);
}
