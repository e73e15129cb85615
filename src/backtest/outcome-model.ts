import type { Runbook } from '../types.ts';

/**
 * What a step would have done is unknown, so the backtest assumes, and says so in its report:
 * - `history` (default): each step takes a tenth of its timeout; the run succeeds if the alert's real
 *   end in the history came within the runbook's verify window after the steps ended, else it fails;
 * - `always-succeed` / `always-fail`: bounds of the answer.
 */
export type OutcomeModel = 'history' | 'always-succeed' | 'always-fail';

export const OUTCOME_MODELS: readonly OutcomeModel[] = ['history', 'always-succeed', 'always-fail'];

export function describeOutcomeModel(model: OutcomeModel): string {
  if (model === 'always-succeed')
    return 'every run succeeds once its steps end (each takes a tenth of its timeout)';
  if (model === 'always-fail')
    return 'every run fails at the end of its verify window (steps take a tenth of their timeout)';
  return (
    'each step takes a tenth of its timeout; a run succeeds if the alert really ended within the ' +
    "runbook's verify window after its steps, else fails"
  );
}

/** The longest verify window of the runbook's steps (0 when none verifies). */
export function verifyWindowMs(runbook: Runbook): number {
  return Math.max(0, ...runbook.steps.map((s) => s.verify?.withinMs ?? 0));
}

/** When a run that starts at `startedAt` ends, and how. `alertEnd`: the alert's real end, if any. */
export function runOutcome(
  model: OutcomeModel,
  runbook: Runbook,
  startedAt: number,
  alertEnd: number | undefined,
): { endsAt: number; status: 'succeeded' | 'failed' } {
  const stepsEnd = startedAt + runbook.steps.reduce((ms, s) => ms + s.action.timeoutMs / 10, 0);
  const window = verifyWindowMs(runbook);
  if (model === 'always-succeed') return { endsAt: stepsEnd, status: 'succeeded' };
  if (model === 'always-fail') return { endsAt: stepsEnd + window, status: 'failed' };
  // A runbook acting on resolved alerts has nothing to wait for.
  if (runbook.on === 'resolved') return { endsAt: stepsEnd, status: 'succeeded' };
  if (alertEnd !== undefined && alertEnd <= stepsEnd + window)
    return { endsAt: Math.max(stepsEnd, alertEnd), status: 'succeeded' };
  return { endsAt: stepsEnd + window, status: 'failed' };
}
