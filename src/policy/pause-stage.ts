import { pass, stop, type StageOutcome } from './outcome.ts';
import { matchingPause } from './pause-match.ts';
import type { StageContext } from './types.ts';

/** Operators' pauses (and, when honoured, Alertmanager silences) stop runs; they are recorded, not lost. */
export async function pauseStage(ctx: StageContext): Promise<StageOutcome> {
  const labels = ctx.run.alert.labels;
  const pause = matchingPause(await ctx.stores.pauses.active(ctx.now), labels, ctx.now);
  if (pause) {
    return stop(
      'pause',
      'paused',
      ctx.now,
      `pause ${pause.id} until ${pause.expiresAt}: ${pause.comment}`,
      false,
    );
  }
  const silence = ctx.silenced ? await ctx.silenced(labels) : undefined;
  if (silence) return stop('pause', 'paused', ctx.now, `Alertmanager silence ${silence}`, false);
  return pass('pause', ctx.now);
}
