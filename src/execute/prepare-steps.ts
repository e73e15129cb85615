import { errorCode, errorMessage } from '../errors.ts';
import type { RenderedAction, Runbook, RunRecord } from '../types.ts';
import { orderSteps } from './order-steps.ts';
import { renderSteps, runContext } from './render-run.ts';
import { renderVerify } from './render-verify.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * Renders every step (parameters checked first) in the order the runbook asks for. Verify blocks are
 * rendered too, and thrown away (the ladder renders them again when it gets there): a value they would
 * refuse stops the run before its first step, not after.
 */
export async function prepareSteps(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  let actions: RenderedAction[];
  try {
    actions = renderSteps(runbook, run.alert, run.target);
    const context = runContext(runbook, run.alert, run.target);
    for (const step of runbook.steps) if (step.verify) renderVerify(step.verify, context, step.name);
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
