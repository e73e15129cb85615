import { errorCode, errorMessage } from '../errors.ts';
import type { RenderedAction, Runbook, RunRecord, Target } from '../types.ts';
import { renderAction, runContext } from './render-run.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { execute, outcomeFields } from './step-exec.ts';

/**
 * Reverses what the run did, newest first: after a failure, every completed step's undo; after
 * success, only the undos marked `when: always` (e.g. undrain once the instance is healthy again).
 */
export async function undoSteps(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  target: Target,
  outcome: 'success' | 'failure',
) {
  const context = runContext(runbook, run.alert, run.target);
  for (const step of [...run.steps].reverse()) {
    const undo = runbook.steps.find((s) => s.name === step.name)!.undo;
    if (!undo || step.status !== 'succeeded' || step.undo) continue;
    if (outcome === 'success' && undo.when !== 'always') continue;
    let action: RenderedAction;
    try {
      action = renderAction({ name: `${step.name}.undo`, action: undo.action, idempotent: false }, context);
    } catch (err) {
      step.undo = {
        status: 'failed',
        action: { kind: 'ssh', argv: [], timeoutMs: 0 },
        errorCode: errorCode(err),
        error: errorMessage(err),
      };
      continue;
    }
    const result = await execute(deps, action, target);
    step.undo = { status: result.ok ? 'succeeded' : 'failed', action, ...outcomeFields(result) };
    await deps.store.save(run);
    deps.log.info({ runId: run.id, step: step.name, ok: result.ok }, 'undo ended');
  }
}
