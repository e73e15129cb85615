import { errorCode, errorMessage, RemediatorError } from '../errors.ts';
import { admissionRequest, attemptOwner, nextPoll } from '../policy/admission-stage.ts';
import { gate } from '../policy/gate.ts';
import { withTargetState } from '../policy/target-state-update.ts';
import type { AdmissionRequest } from '../stores/types.ts';
import type { RenderedAction, Runbook, RunRecord } from '../types.ts';
import { finishRun } from './finish.ts';
import { startHeartbeat } from './heartbeat.ts';
import { runLadder } from './ladder.ts';
import { undoSteps } from './undo.ts';
import {
  countAlertOnTarget,
  done,
  ending,
  groupOf,
  isResolved,
  recordDecisions,
  silencer,
  type RunOutcome,
} from './run-helpers.ts';
import { orderSteps } from './order-steps.ts';
import { renderSteps } from './render-run.ts';
import type { RunnerDeps } from './runner-deps.ts';

export type { RunnerDeps } from './runner-deps.ts';

export type { RunOutcome } from './run-helpers.ts';

/**
 * Takes one run through the policy gate and, if allowed, through its steps. Returns `wait` when the
 * run must queue behind a lock or a busy group (the queue asks again at `retryAt`).
 */
export async function processRun(deps: RunnerDeps, runId: string): Promise<RunOutcome> {
  try {
    return await processRunOnce(deps, runId);
  } catch (err) {
    if (!(err instanceof RemediatorError) || err.code !== 'E_SUPERSEDED') throw err;
    // A later attempt took the run over (this process was paused or cut off): stop without a trace.
    deps.log.warn({ runId, err: err.message }, 'run superseded by a later attempt: this attempt stops');
    return { kind: 'done' };
  }
}

async function processRunOnce(deps: RunnerDeps, runId: string): Promise<RunOutcome> {
  const run = await deps.store.get(runId);
  if (!run || !['queued', 'running'].includes(run.status)) {
    deps.log.info({ runId, status: run?.status }, 'run not processed: not queued');
    return { kind: 'done' };
  }
  const runbook = deps.runbooks.get(run.runbook);
  if (run.status === 'running') return resumeInterrupted(deps, run, runbook);
  if (!runbook)
    return done(
      await finishRun(deps, run, {
        ...ending('failed', 'E_RUNBOOK_GONE', `runbook "${run.runbook}" is no longer loaded`),
        fromQueue: true,
      }),
    );
  const dryRun = deps.settings.dryRun || runbook.dryRun;
  const now = deps.now().getTime();
  if (!run.decisions?.length && deps.inventory.has(run.target)) await countAlertOnTarget(deps, run, now);
  const owner = attemptOwner(run.id);
  const result = await gate(
    { run, runbook, now, owner, stores: deps.stores, settings: deps.settings, ...silencer(deps) },
    dryRun,
  );
  recordDecisions(run, result.decisions);
  if (result.kind === 'wait') {
    // Only while still queued: a resolved notification may have cancelled the run meanwhile.
    if (!(await deps.store.saveIfQueued(run))) return { kind: 'done' };
    return { kind: 'wait', retryAt: result.retryAt };
  }
  if (result.kind === 'stop') {
    const d = result.decision;
    return done(
      await finishRun(deps, run, {
        ...ending('skipped', d.reason ?? 'refused', d.detail ?? ''),
        escalate: result.escalate,
        fromQueue: true,
      }),
    );
  }
  const claim = await deps.store.claim(run.id, deps.now().toISOString());
  if (claim.kind !== 'claimed') {
    await deps.stores.admission.release(result.admission);
    return { kind: 'done' };
  }
  Object.assign(run, {
    status: 'running',
    startedAt: claim.run.startedAt,
    fence: result.fence,
    group: groupOf(result.admission),
  });
  await deps.store.save(run);
  return done(await act(deps, run, runbook, result.admission, { dryRun, trial: result.trial }));
}

async function act(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  admission: AdmissionRequest,
  mode: { dryRun: boolean; trial: boolean; from?: number },
): Promise<RunRecord> {
  const base = { admission, trial: mode.trial };
  const target = deps.inventory.get(run.target);
  if (!target)
    return finishRun(deps, run, {
      ...ending('failed', 'E_UNKNOWN_TARGET', `target "${run.target}" is not in the inventory`),
      ...base,
      escalate: true,
    });
  if (mode.from === undefined) {
    const prepared = await prepareSteps(deps, run, runbook);
    if (!prepared.ok)
      return finishRun(deps, run, {
        ...ending('failed', prepared.code, prepared.message),
        ...base,
        escalate: true,
      });
  }
  if (mode.dryRun) {
    for (const step of run.steps) Object.assign(step, { status: 'skipped', skippedBecause: 'dry_run' });
    return finishRun(deps, run, {
      ...ending('skipped', 'dry_run', 'dry run: every decision taken, nothing executed'),
      ...base,
    });
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
  const heartbeat = startHeartbeat(deps, admission);
  try {
    const result = await runLadder(deps, run, runbook, target, heartbeat.signal, mode.from ?? 0);
    if (heartbeat.lost()) {
      // No undo: without the lock, reversing a step could undo the new holder's work. A human decides.
      return finishRun(deps, run, {
        ...ending('unknown', 'lock_lost', `lost the target lock (fence ${run.fence ?? '?'}) mid-step`),
        ...base,
        escalate: true,
      });
    }
    await undoSteps(deps, run, runbook, target, result.status === 'succeeded' ? 'success' : 'failure');
    return finishRun(deps, run, {
      ...ending(result.status, result.reason, result.message),
      ...base,
      escalate: result.status === 'failed',
    });
  } finally {
    heartbeat.stop();
  }
}

/** Renders every step (parameters checked first) in the order the runbook asks for. */
async function prepareSteps(deps: RunnerDeps, run: RunRecord, runbook: Runbook) {
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

/**
 * The process that ran this died mid-step (or stopped answering). This attempt first takes the lock
 * and places with its own owner and a newer fence, so the old attempt, if it is only paused, can
 * neither renew nor save any more. Then an idempotent step is run once more; otherwise whether the
 * step took effect is unknown, and it is not run again: the run ends `unknown` and escalates.
 */
async function resumeInterrupted(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook | undefined,
): Promise<RunOutcome> {
  const index = run.steps.findIndex((s) => s.status === 'running');
  const step = run.steps[index];
  const now = deps.now().getTime();
  const admission = runbook
    ? admissionRequest(run, runbook, deps.settings, now, attemptOwner(run.id))
    : undefined;
  if (admission) {
    const held = await deps.stores.admission.acquire(admission);
    if (!held.ok) return { kind: 'wait', retryAt: nextPoll(now) };
    run.fence = held.fence;
    await deps.store.save(run);
  }
  const base = { escalate: true, ...(admission ? { admission } : {}) };
  const interrupted = (why: string) => {
    if (step)
      Object.assign(step, {
        status: 'failed',
        errorCode: 'E_INTERRUPTED',
        finishedAt: deps.now().toISOString(),
      });
    return ending('unknown', 'E_INTERRUPTED', `interrupted during step "${step?.name ?? '?'}": ${why}`);
  };
  if (runbook?.on === 'firing' && runbook.policy.onResolved === 'abort' && (await isResolved(deps, run))) {
    return done(
      await finishRun(deps, run, {
        ...interrupted('the alert has resolved since, so it is not retried'),
        ...base,
      }),
    );
  }
  const target = deps.inventory.get(run.target);
  if (runbook && admission && target && step?.idempotent && !step.retried) {
    Object.assign(step, { status: 'pending', retried: true });
    deps.log.warn(
      { runId: run.id, step: step.name, fence: run.fence },
      'resuming an interrupted run: retrying its idempotent step once',
    );
    return done(await act(deps, run, runbook, admission, { dryRun: false, trial: false, from: index }));
  }
  const why = step?.idempotent ? 'already retried once' : 'not marked idempotent, so not run again';
  return done(await finishRun(deps, run, { ...interrupted(why), ...base }));
}
