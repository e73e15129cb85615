import { errorMessage, RemediatorError } from '../errors.ts';
import { attemptOwner } from '../policy/admission-stage.ts';
import { askApproval } from './approval-ask.ts';
import { endUnapproved, wakeAwaiting } from './approval-wake.ts';
import { gate } from '../policy/gate.ts';
import { finishRun } from './finish.ts';
import {
  countAlertOnTarget,
  done,
  ending,
  groupOf,
  parked,
  parkedRecheckMs,
  recordDecisions,
  silencer,
  type RunOutcome,
} from './run-helpers.ts';
import type { RunnerDeps } from './runner-deps.ts';
import type { RunRecord } from '../types.ts';
import { act } from './act.ts';
import { renewHold, startHold } from './page-hold.ts';
import { resumeApproved, resumeInterrupted } from './resume.ts';

export { PARKED_RECHECK_MS } from './run-helpers.ts';

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
  if (run?.status === 'awaiting_approval') return wakeAwaiting(deps, run);
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
  const answered = run.approvals?.at(-1);
  if (answered && answered.state !== 'approved' && answered.state !== 'pending')
    return endUnapproved(deps, run, runbook, answered);
  if (answered?.state === 'approved' && answered.scope === 'step')
    return resumeApproved(deps, run, runbook, answered);
  const dryRun = deps.settings.dryRun || runbook.dryRun;
  const now = deps.now().getTime();
  if (!run.decisions?.length && deps.inventory.has(run.target)) await countAlertOnTarget(deps, run, now);
  const owner = attemptOwner(run.id);
  const result = await gate(
    { run, runbook, now, owner, stores: deps.stores, settings: deps.settings, ...silencer(deps) },
    dryRun,
  );
  recordDecisions(run, result.decisions);
  // A run that will heal (now, or once a lock frees) holds the page; one that stops or asks a human does not.
  if (!dryRun && (result.kind === 'go' || result.kind === 'wait')) {
    if (run.pageHold) await renewHold(deps, run);
    else await startHold(deps, run, runbook);
  }
  if (result.kind === 'wait') {
    // Only while still queued: a resolved notification may have cancelled the run meanwhile.
    if (!(await deps.store.saveIfQueued(run))) return { kind: 'done' };
    return parked(result.retryAt, now, parkedRecheckMs(run, deps.settings.pageHoldLapseMs));
  }
  if (result.kind === 'approval')
    return askApproval(deps, run, runbook, { scope: 'run', step: 0, spec: result.spec, why: result.why });
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
  if (!(await claimReplicated(deps, run))) {
    await deps.stores.admission.release(result.admission);
    return { kind: 'wait', retryAt: deps.now().getTime() + 1000 };
  }
  return act(deps, run, runbook, result.admission, { dryRun, trial: result.trial });
}

/**
 * A claim a failover could lose is not acted on: the new primary would find the run still queued and
 * hand it out again, and its step would run twice. Unconfirmed, the run goes back to queued (this
 * attempt's fence still guards the write) and is asked about again shortly.
 */
async function claimReplicated(deps: RunnerDeps, run: RunRecord): Promise<boolean> {
  if (!deps.confirmReplicated) return true;
  try {
    await deps.confirmReplicated();
    return true;
  } catch (err) {
    deps.log.warn(
      { runId: run.id, err: errorMessage(err) },
      'claim not confirmed by Redis replicas: not acting yet',
    );
    Object.assign(run, { status: 'queued', startedAt: undefined });
    await deps.store.save(run);
    return false;
  }
}
