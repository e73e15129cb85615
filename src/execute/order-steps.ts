import type { Runbook } from '../types.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * The order to try a runbook's steps in: as written, or (adaptive runbooks) the step that worked
 * most often for this alertname first, by (successes + 1) / (attempts + 2) so untried steps are
 * neither favoured nor shunned. Ties keep the written order.
 */
export async function orderSteps(
  deps: Pick<RunnerDeps, 'stores'>,
  runbook: Runbook,
  alertname: string,
): Promise<number[]> {
  const written = runbook.steps.map((_, i) => i);
  if (!runbook.adaptive) return written;
  const stats = await deps.stores.stats.get(runbook.name, alertname);
  const score = (i: number) => {
    const s = stats[runbook.steps[i]!.name];
    return ((s?.successes ?? 0) + 1) / ((s?.attempts ?? 0) + 2);
  };
  return written.sort((a, b) => score(b) - score(a) || a - b);
}
