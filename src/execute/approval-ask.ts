import { randomBytes } from 'node:crypto';
import { hashSteps } from '../policy/approval-link.ts';
import type { ApprovalRecord } from '../policy/approval-types.ts';
import type { ApprovalSpec, Runbook, RunRecord } from '../types.ts';
import { finishRun } from './finish.ts';
import { releaseHold } from './page-hold.ts';
import { prepareSteps } from './prepare-steps.ts';
import { done, ending, parkedRecheckMs, type RunOutcome } from './run-helpers.ts';
import type { RunnerDeps } from './runner-deps.ts';

/**
 * A waiting run wakes this often to look at its request (answered through a process that could not
 * reach the job, expired, or the alert resolved): the answer never waits longer than this.
 */
export const APPROVAL_POLL_MS = 15_000;
// (More often while it keeps people's page held: see parkedRecheckMs.)

export interface Ask {
  readonly scope: ApprovalRecord['scope'];
  readonly step: number;
  readonly spec: ApprovalSpec;
  readonly why: readonly string[];
}

/**
 * Records an approval request and waits for the answer, durably: the run is `awaiting_approval` in
 * Redis and its job is delayed, so a restart loses nothing. A run-wide request renders the steps
 * first, so the approver sees exactly what will run (and a link signs exactly that). A step's request
 * comes from the ladder, which has already given back the run's places.
 */
export async function askApproval(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  ask: Ask,
): Promise<RunOutcome> {
  if (ask.scope === 'run' && run.steps.length === 0) {
    const prepared = await prepareSteps(deps, run, runbook);
    if (!prepared.ok)
      return done(
        await finishRun(deps, run, {
          ...ending('failed', prepared.code, prepared.message),
          escalate: true,
          fromQueue: true,
        }),
      );
  }
  const now = deps.now().getTime();
  const request: ApprovalRecord = {
    // Unguessable and never reused: answers name it, so one answer counts for this request only.
    id: randomBytes(12).toString('base64url'),
    state: 'pending',
    scope: ask.scope,
    step: ask.step,
    stepName: run.steps[ask.step]?.name ?? '',
    why: [...ask.why],
    requestedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ask.spec.expiresAfterMs).toISOString(),
    onExpiry: ask.spec.onExpiry,
    stepsHash: hashSteps(run.steps),
  };
  (run.approvals ??= []).push(request);
  // An approval request usually is the page: people hear of the alert now (unless told to keep it held).
  if (!deps.settings.pageHoldKeepForApproval) await releaseHold(deps, run, 'approval');
  run.status = 'awaiting_approval';
  if (ask.scope === 'run') {
    // Still queued? A resolved notification may have cancelled it meanwhile.
    if (!(await deps.store.saveIfQueued(run))) return { kind: 'done' };
  } else {
    await deps.store.save(run);
  }
  await deps.stores.approvals.add(run.id, now);
  deps.metrics.approvalRequests.labels(run.runbook).inc();
  deps.log.info(
    { runId: run.id, runbook: run.runbook, step: request.stepName, why: request.why },
    'run awaiting approval',
  );
  if (deps.approvals) {
    const notified = await deps.approvals.notify(run, request);
    // Only onto this very request, still pending: an answer may have come in already.
    await deps.store.update(run.id, (r) => {
      const last = r.approvals?.at(-1);
      if (!last || last.id !== request.id) return undefined;
      return { ...r, approvals: [...r.approvals!.slice(0, -1), { ...last, notified }] };
    });
  }
  const poll = Math.min(APPROVAL_POLL_MS, parkedRecheckMs(run, deps.settings.pageHoldLapseMs));
  return { kind: 'wait', retryAt: Math.min(Date.parse(request.expiresAt), now + poll) };
}
