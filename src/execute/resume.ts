import { admissionRequest, attemptOwner, nextPoll } from '../policy/admission-stage.ts';
import type { ApprovalRecord } from '../policy/approval-types.ts';
import { endUnapproved } from './approval-wake.ts';
import type { Runbook, RunRecord } from '../types.ts';
import { finishRun } from './finish.ts';
import { done, ending, isResolved, parked, parkedRecheckMs, type RunOutcome } from './run-helpers.ts';
import { renewHold } from './page-hold.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { act } from './act.ts';
import { resumePoint } from './resume-point.ts';

/**
 * A human approved the step a run stopped at. The run is a continuation, not a new run: it is not
 * put through the gate again (its rate windows were counted when it started), but it re-checks that
 * the alert still fires (else it ends, undoing its earlier steps) and takes the target lock again
 * (waiting up to maxWait from the answer, parked until a freed place wakes it), then goes on from
 * that step.
 */
export async function resumeApproved(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  request: ApprovalRecord,
): Promise<RunOutcome> {
  if (await isResolved(deps, run))
    return endUnapproved(deps, run, runbook, { ...request, state: 'cancelled' });
  const now = deps.now().getTime();
  const admission = admissionRequest(run, runbook, deps.settings, now, attemptOwner(run.id));
  // Parked like a run waiting at the gate (same order: its alert's arrival), woken when a place frees.
  const waiter = { id: run.id, score: Date.parse(run.receivedAt) };
  const held = await deps.stores.admission.acquire({ ...admission, waiter });
  if (!held.ok) {
    const deadline = Date.parse(request.decidedAt ?? run.receivedAt) + runbook.policy.maxWaitMs;
    if (now < deadline) {
      // REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL kept the hold: it is renewed while the run waits here too.
      if (run.pageHold?.state === 'held' && (await renewHold(deps, run))) await deps.store.saveIfQueued(run);
      return parked(deadline, now, parkedRecheckMs(run, deps.settings.pageHoldLapseMs));
    }
    return endUnapproved(deps, run, runbook, {
      ...request,
      state: 'expired',
      comment: `approved, but the target stayed busy longer than maxWait (${held.blocked})`,
    });
  }
  const claim = await deps.store.claim(run.id, run.startedAt ?? new Date(now).toISOString());
  if (claim.kind !== 'claimed') {
    await deps.stores.admission.release(admission);
    return { kind: 'done' };
  }
  Object.assign(run, { status: 'running', fence: held.fence });
  await deps.store.save(run);
  return act(deps, run, runbook, admission, { dryRun: false, trial: false, from: request.step });
}

/**
 * The process that ran this died mid-step (or stopped answering). This attempt first takes the lock
 * and places with its own owner and a newer fence, so the old attempt, if it is only paused, can
 * neither renew nor save any more. Then an idempotent step is run once more; otherwise whether the
 * step took effect is unknown, and it is not run again: the run ends `unknown` and escalates. When no
 * step was in flight (before the first one, or during a check), the run goes on where it stopped.
 */
export async function resumeInterrupted(
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
    const where = step ? `during step "${step.name}"` : `after step "${lastRan(run) ?? '?'}"`;
    return ending('unknown', 'E_INTERRUPTED', `interrupted ${where}: ${why}`);
  };
  const target = deps.inventory.get(run.target);
  // Nothing in flight: the process died before the first step, or while checking a step whose action
  // had succeeded. Checks only read, so the run goes on from there instead of ending unknown.
  const point = runbook && admission && target && !step ? resumePoint(run, runbook) : undefined;
  const goOn = (from: number, checkOnly: boolean) => {
    deps.log.warn(
      { runId: run.id, step: run.steps[from]?.name, checkOnly, fence: run.fence },
      'resuming an interrupted run: no step was in flight; going on where it stopped',
    );
    // No steps rendered yet: from the start, rendering them.
    const start = run.steps.length === 0 ? {} : { from, checkOnly };
    return act(deps, run, runbook!, admission!, { dryRun: false, trial: false, ...start });
  };
  // A resolved alert passes the check at once.
  if (point?.verify) return goOn(point.from, true);
  if (runbook?.on === 'firing' && runbook.policy.onResolved === 'abort' && (await isResolved(deps, run))) {
    const resolved = point
      ? ending('skipped', 'resolved', 'the alert resolved before any step ran')
      : interrupted('the alert has resolved since, so it is not retried');
    return done(await finishRun(deps, run, { ...resolved, ...base, escalate: !point }));
  }
  if (point) return goOn(point.from, false);
  if (runbook && admission && target && step?.idempotent && !step.retried) {
    Object.assign(step, { status: 'pending', retried: true });
    deps.log.warn(
      { runId: run.id, step: step.name, fence: run.fence },
      'resuming an interrupted run: retrying its idempotent step once',
    );
    return act(deps, run, runbook, admission, { dryRun: false, trial: false, from: index });
  }
  const why = !step
    ? 'the run had reached its outcome, or was undoing a step, so it is not run again'
    : step.idempotent
      ? 'already retried once'
      : 'not marked idempotent, so not run again';
  return done(await finishRun(deps, run, { ...interrupted(why), ...base }));
}

/** The last step that ran (succeeded or failed), for messages. */
function lastRan(run: RunRecord): string | undefined {
  return run.steps.findLast((s) => s.status === 'succeeded' || s.status === 'failed')?.name;
}
