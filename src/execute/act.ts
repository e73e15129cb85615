import { errorMessage } from '../errors.ts';
import { askApproval } from './approval-ask.ts';
import { withTargetState } from '../policy/target-state-update.ts';
import type { AdmissionRequest } from '../stores/types.ts';
import type { Runbook, RunRecord } from '../types.ts';
import { finishRun } from './finish.ts';
import { renewHoldOfRunning } from './page-hold.ts';
import { startHeartbeat } from './heartbeat.ts';
import { runLadder } from './ladder.ts';
import { undoSteps } from './undo.ts';
import { done, ending, type RunOutcome } from './run-helpers.ts';
import { dryRunSteps } from './dry-run-check.ts';
import { prepareSteps } from './prepare-steps.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * Acts on a run that holds its places: renders its steps (unless rendered already), runs the ladder,
 * undoes what needs undoing and ends the run; or stops before a step that needs a human's approval.
 */
export async function act(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  admission: AdmissionRequest,
  mode: { dryRun: boolean; trial: boolean; from?: number; checkOnly?: boolean },
): Promise<RunOutcome> {
  const base = { admission, trial: mode.trial };
  const target = deps.inventory.get(run.target);
  if (!target)
    return done(
      await finishRun(deps, run, {
        ...ending('failed', 'E_UNKNOWN_TARGET', `target "${run.target}" is not in the inventory`),
        ...base,
        escalate: true,
      }),
    );
  // Steps rendered already (for an approver, who saw exactly these) are not rendered again.
  if (mode.from === undefined && run.steps.length === 0) {
    const prepared = await prepareSteps(deps, run, runbook);
    if (!prepared.ok)
      return done(
        await finishRun(deps, run, {
          ...ending('failed', prepared.code, prepared.message),
          ...base,
          escalate: true,
        }),
      );
  }
  if (mode.dryRun) {
    await dryRunSteps(deps, run, target);
    return done(
      await finishRun(deps, run, {
        ...ending('skipped', 'dry_run', 'dry run: every decision taken, nothing executed'),
        ...base,
      }),
    );
  }
  await withTargetState(
    deps.stores.targets,
    run.target,
    { kind: 'run_started', runId: run.id },
    deps.now().getTime(),
    deps.settings.stabilizeMs,
  )
    .then((r) => (run.targetState = { start: r.state }))
    .catch((err: unknown) =>
      deps.log.warn({ runId: run.id, err: errorMessage(err) }, 'target state not updated'),
    );
  await deps.store.save(run);
  deps.log.info({ runId: run.id, runbook: run.runbook, target: run.target, fence: run.fence }, 'run started');
  // The page hold lives as long as the run shows progress: it is renewed with the lock, never without it.
  const heartbeat = startHeartbeat(deps, admission, () => void renewHoldOfRunning(deps, run));
  try {
    const result = await runLadder(
      deps,
      run,
      runbook,
      target,
      heartbeat.signal,
      mode.from ?? 0,
      mode.checkOnly ?? false,
    );
    if (result.status === 'awaiting_approval' && !heartbeat.lost()) {
      // A human decides the next step: nothing is held while waiting for them.
      heartbeat.stop();
      await deps.stores.admission.release(admission);
      return askApproval(deps, run, runbook, { scope: 'step', ...result });
    }
    if (heartbeat.lost()) {
      // No undo: without the lock, reversing a step could undo the new holder's work. A human decides.
      return done(
        await finishRun(deps, run, {
          ...ending('unknown', 'lock_lost', `lost the target lock (fence ${run.fence ?? '?'}) mid-step`),
          ...base,
          escalate: true,
        }),
      );
    }
    if (result.status === 'awaiting_approval') throw new Error('unreachable: lock lost is handled above');
    await undoSteps(deps, run, runbook, target, result.status === 'succeeded' ? 'success' : 'failure');
    return done(
      await finishRun(deps, run, {
        ...ending(result.status, result.reason, result.message),
        ...base,
        escalate: result.status === 'failed',
      }),
    );
  } finally {
    heartbeat.stop();
  }
}
