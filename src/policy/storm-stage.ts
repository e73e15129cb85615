import { formatDuration } from '../config/duration.ts';
import { pass, stop, type StageOutcome } from './outcome.ts';
import type { StageContext } from './types.ts';

/**
 * The storm guard: when more runs of one runbook arrive in a window than its storm limit (the
 * runbook's `policy.storm`, else REMEDIATOR_STORM_LIMIT), the excess is refused at once instead of
 * queueing behind the rest, and only the storm's first excess run pages (`page`), with a summary.
 * Runs within the limit keep their place and go on to the other stages in order.
 */
export async function stormStage(ctx: StageContext): Promise<{ outcome: StageOutcome; page: boolean }> {
  const rate = stormRate(ctx);
  if (rate === 'off') return { outcome: pass('storm', ctx.now, 'off'), page: false };
  const result = await ctx.stores.storms.arrive({
    runbook: ctx.runbook.name,
    runId: ctx.run.id,
    target: ctx.run.target,
    receivedAt: Date.parse(ctx.run.receivedAt),
    limit: rate.limit,
    windowMs: rate.windowMs,
  });
  if (!result.excess) return { outcome: pass('storm', ctx.now), page: false };
  return {
    outcome: stop('storm', 'storm', ctx.now, stormSummary(rate, result)),
    page: result.pages,
  };
}

/** What the page (and every refused run's record) says: how many, which targets, what happens now. */
export function stormSummary(
  rate: { limit: number; windowMs: number },
  s: { arrivals: number; targets: readonly string[]; distinctTargets: number },
): string {
  const more = s.distinctTargets - s.targets.length;
  const targets = s.targets.join(', ') + (more > 0 ? ` and about ${more} more` : '');
  return (
    `storm: ${s.arrivals} runs of this runbook arrived within ${formatDuration(rate.windowMs)} ` +
    `(limit ${rate.limit}); runs beyond the limit are refused and paged once per storm; ` +
    `targets: ${targets}`
  );
}

/** The runbook's `policy.storm`, else REMEDIATOR_STORM_LIMIT. */
export function stormRate(ctx: Pick<StageContext, 'runbook' | 'settings'>) {
  return ctx.runbook.policy.storm === undefined ? ctx.settings.stormLimit : ctx.runbook.policy.storm;
}
