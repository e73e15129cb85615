import { randomBytes } from 'node:crypto';
import { admissionRequest, attemptOwner, nextPoll } from '../policy/admission-stage.ts';
import { recordAnswer, type Answer } from '../policy/approval-answer.ts';
import type { ApprovalRecord } from '../policy/approval-types.ts';
import type { Runbook, RunRecord } from '../types.ts';
import { APPROVAL_POLL_MS } from './approval-ask.ts';
import { escalate, finishRun } from './finish.ts';
import { done, ending, isResolved, parkedRecheckMs, type RunOutcome } from './run-helpers.ts';
import { renewHold } from './page-hold.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { noteAnswered } from '../record/approval-outcome.ts';
import { undoSteps } from './undo.ts';

/**
 * A run waiting for approval woke up. An answered request is not seen here (the answer puts the run
 * back to `queued`); what is left: the alert resolved (the request is cancelled), the request expired
 * (denied, or approved when the runbook says so, and escalated), or it is too early (sleep again).
 */
export async function wakeAwaiting(deps: RunnerDeps, run: RunRecord): Promise<RunOutcome> {
  const request = run.approvals?.at(-1);
  if (!request || request.state !== 'pending') return { kind: 'done' };
  const now = deps.now().getTime();
  if (request.id === undefined) await nameLegacyRequest(deps, run.id, request);
  const expiresAt = Date.parse(request.expiresAt);
  const base = {
    via: 'expiry' as const,
    requestedAt: request.requestedAt,
    ...(request.id !== undefined ? { requestId: request.id } : {}),
  };
  let answer: Answer | undefined;
  if (await isResolved(deps, run)) {
    answer = { ...base, state: 'cancelled', by: 'remediator', comment: 'the alert resolved first' };
  } else if (now >= expiresAt) {
    answer =
      request.onExpiry === 'approve'
        ? { ...base, state: 'approved', by: 'nobody (onExpiry: approve)' }
        : { ...base, state: 'expired', by: 'nobody' };
  }
  if (!answer) {
    await keepHoldWhileWaiting(deps, run);
    const poll = Math.min(APPROVAL_POLL_MS, parkedRecheckMs(run, deps.settings.pageHoldLapseMs));
    return { kind: 'wait', retryAt: Math.min(expiresAt, now + poll) };
  }
  const result = await recordAnswer(deps.store, run.id, answer, now);
  if (result.ok) {
    await noteAnswered(
      deps,
      result.run,
      result.request,
      answer.state === 'approved' ? 'expired' : answer.state,
    );
    if (answer.state === 'approved') {
      // Nobody answered and the runbook says go on: it does, but a human hears about it.
      const told = {
        ...result.run,
        reason: 'approval_expired',
        message: 'nobody answered in time; onExpiry: approve, so the run goes on',
      };
      await escalate(deps, told).catch((err: unknown) =>
        deps.log.warn({ runId: run.id, err: String(err) }, 'escalation failed'),
      );
    }
  }
  // Answered now (or by someone else meanwhile): process the run again at once.
  return { kind: 'wait', retryAt: now };
}

/**
 * A request recorded before requests had ids cannot be answered (every answer names one): it gets
 * an id on its next wake (within APPROVAL_POLL_MS), so the console and the API can answer it.
 */
async function nameLegacyRequest(deps: RunnerDeps, runId: string, request: ApprovalRecord): Promise<void> {
  const id = randomBytes(12).toString('base64url');
  await deps.store.update(runId, (r) => {
    const last = r.approvals?.at(-1);
    if (!last || last.id !== undefined || last.requestedAt !== request.requestedAt) return undefined;
    return { ...r, approvals: [...r.approvals!.slice(0, -1), { ...last, id }] };
  });
}

const ENDINGS = {
  denied: { reason: 'approval_denied', escalate: false },
  expired: { reason: 'approval_expired', escalate: true },
  cancelled: { reason: 'resolved', escalate: false },
} as const;

/**
 * A run whose request was denied, expired or cancelled ends `skipped`. If earlier steps ran (a
 * step's request), their undo runs first, holding the target lock again like any step.
 */
export async function endUnapproved(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook | undefined,
  request: ApprovalRecord,
): Promise<RunOutcome> {
  const kind = request.state === 'denied' || request.state === 'expired' ? request.state : 'cancelled';
  const { reason, escalate } = ENDINGS[kind];
  const who = request.decidedBy ? ` by ${request.decidedBy}` : '';
  const message =
    kind === 'cancelled'
      ? `the alert resolved while step "${request.stepName}" waited for approval`
      : `approval for step "${request.stepName}" ${kind}${who}${request.comment ? `: ${request.comment}` : ''}`;
  for (const s of run.steps)
    if (s.status === 'pending') Object.assign(s, { status: 'skipped', skippedBecause: reason });
  const ran = run.steps.some((s) => s.status === 'succeeded' || s.status === 'failed');
  const target = deps.inventory.get(run.target);
  if (!ran || !runbook || !target)
    return done(
      await finishRun(deps, run, { ...ending('skipped', reason, message), escalate, fromQueue: true }),
    );
  const now = deps.now().getTime();
  const admission = admissionRequest(run, runbook, deps.settings, now, attemptOwner(run.id));
  const held = await deps.stores.admission.acquire(admission);
  if (!held.ok) return { kind: 'wait', retryAt: nextPoll(now) };
  const claim = await deps.store.claim(run.id, run.startedAt ?? new Date(now).toISOString());
  if (claim.kind !== 'claimed') {
    await deps.stores.admission.release(admission);
    return { kind: 'done' };
  }
  Object.assign(run, { status: 'running', fence: held.fence });
  await deps.store.save(run);
  await undoSteps(deps, run, runbook, target, 'failure');
  return done(await finishRun(deps, run, { ...ending('skipped', reason, message), escalate, admission }));
}

/** REMEDIATOR_PAGE_HOLD_KEEP_FOR_APPROVAL: the waiting run's wake-ups renew its hold (saved onto the record). */
async function keepHoldWhileWaiting(deps: RunnerDeps, run: RunRecord): Promise<void> {
  if (run.pageHold?.state !== 'held') return;
  await renewHold(deps, run);
  await deps.store.update(run.id, (r) =>
    r.status === 'awaiting_approval' ? { ...r, pageHold: run.pageHold! } : undefined,
  );
}
