import { errorCode, errorMessage } from '../errors.ts';
import type { RenderedAction, Runbook, RunRecord } from '../types.ts';
import { orderSteps } from './order-steps.ts';
import { renderSteps } from './render-run.ts';
import type { RunnerDeps } from './runner-deps.ts';

/** Renders every step (parameters checked first) in the order the runbook asks for. */
export async function prepareSteps(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  let actions: RenderedAction[];
  try {
    actions = renderSteps(runbook, run.alert, run.target);
  } catch (err) {
    return { ok: false as const, code: errorCode(err), message: errorMessage(err) };
  }
  const order = await orderSteps(deps, runbook, run.alert.labels['alertname'] ?? '');
  run.steps = order.map((i) => ({
    name: runbook.steps[i]!.name,
    status: 'pending',
    idempotent: runbook.steps[i]!.idempotent,
    action: actions[i]!,
  }));
  return { ok: true as const };
}
