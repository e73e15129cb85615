import { formatDuration } from '../config/duration.ts';
import { pass, stop, type StageOutcome } from './outcome.ts';
import { policyKeys } from './keys.ts';
import type { StageContext } from './types.ts';

/** Counts the run in every window (target, runbook, global) at once, or refuses it. */
export async function rateLimitStage(ctx: StageContext): Promise<StageOutcome> {
  const { runbook, run, settings } = ctx;
  const windows = [
    {
      key: policyKeys.rateTarget(runbook.name, run.target),
      ...runbook.policy.maxRunsPerTarget,
      label: 'per target',
    },
    { key: policyKeys.rateRunbook(runbook.name), ...runbook.policy.maxRuns, label: 'for this runbook' },
    { key: policyKeys.rateGlobal(), ...settings.rateLimit, label: 'for all runbooks' },
  ];
  const result = await ctx.stores.windows.take(windows, ctx.now);
  if (result.ok) return pass('rate_limit', ctx.now);
  const full = windows.find((w) => w.key === result.full) ?? windows[0]!;
  return stop(
    'rate_limit',
    'rate_limited',
    ctx.now,
    `${full.limit} runs per ${formatDuration(full.windowMs)} ${full.label} reached`,
  );
}
