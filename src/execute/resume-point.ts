import type { Runbook, RunRecord } from '../types.ts';

/** Where an interrupted run can go on: from step `from`, with that step's check first when `verify`. */
export interface ResumePoint {
  readonly from: number;
  /** The step's action had finished (succeeded) and its check had not: check it, do not act again. */
  readonly verify: boolean;
}

/**
 * Where a run whose process died can go on without repeating anything that may have taken effect,
 * or undefined when it cannot: a step (or an undo) was in flight, or the run had already reached its
 * outcome. Two cases are safe: no step had started yet, and the process died while checking a step
 * whose action had succeeded (checks only read).
 */
export function resumePoint(run: RunRecord, runbook: Runbook): ResumePoint | undefined {
  if (run.steps.every((s) => s.status === 'pending')) return { from: 0, verify: false };
  if (run.steps.some((s) => s.status === 'running' || s.undo !== undefined)) return undefined;
  const last = run.steps.findLastIndex((s) => s.status !== 'pending');
  const step = run.steps[last]!;
  const spec = runbook.steps.find((s) => s.name === step.name);
  const laterRan = run.steps.slice(last + 1).some((s) => s.status !== 'pending');
  if (step.status === 'succeeded' && spec?.verify && step.verify === undefined && !laterRan)
    return { from: last, verify: true };
  return undefined;
}
