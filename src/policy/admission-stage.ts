import { randomBytes } from 'node:crypto';
import { templateContext } from '../execute/template.ts';
import type { AdmissionRequest } from '../stores/types.ts';
import type { Runbook, RunRecord } from '../types.ts';
import { pass, stop, wait, type StageOutcome } from './outcome.ts';
import { policyKeys } from './keys.ts';
import type { PolicyReason, PolicySettings, StageContext } from './types.ts';

/** How often a waiting run asks again: half a second plus up to half a second of jitter, so waiting runs do not poll in lockstep. */
export const WAIT_POLL_MS = 500;

export function nextPoll(now: number, random: () => number = Math.random): number {
  return now + WAIT_POLL_MS + Math.floor(random() * WAIT_POLL_MS);
}

/**
 * The places a run must hold while it acts, all taken at once: a global and a per-runbook in-flight
 * place (blast radius), a place in its group (progressive healing: K targets of a group at a time)
 * and the target's lock.
 */
/** A fresh holder token for one attempt at a run. */
export function attemptOwner(runId: string): string {
  return `${runId}/${randomBytes(6).toString('hex')}`;
}

export function admissionRequest(
  run: RunRecord,
  runbook: Runbook,
  settings: PolicySettings,
  now: number,
  owner: string,
): AdmissionRequest {
  const group = renderGroup(run, runbook);
  return {
    runId: owner,
    now,
    ttlMs: settings.lockTtlMs,
    slots: [
      { key: policyKeys.inflightGlobal(), limit: settings.maxInFlight },
      { key: policyKeys.inflightRunbook(runbook.name), limit: runbook.policy.maxInFlight },
      ...(group ? [{ key: policyKeys.group(group), limit: runbook.policy.groupConcurrency }] : []),
    ],
    lock: { key: policyKeys.targetLock(run.target) },
  };
}

export function renderGroup(run: RunRecord, runbook: Runbook): string {
  try {
    return runbook.policy.group(templateContext(run.alert, runbook.name, run.target)).trim();
  } catch {
    // A group that cannot be rendered falls back to the target itself: never to "no limit".
    return `target:${run.target}`;
  }
}

/**
 * Takes every place, or waits (up to the runbook's maxWait since the alert arrived), or gives up. A
 * waiting run is parked on the place that refused it and woken when that place is freed (or by the
 * sweep that wakes each place's first waiter every REMEDIATOR_WAIT_POLL); on its own it asks again
 * only at its deadline, to be refused `wait_timeout` if still blocked.
 */
export async function admissionStage(
  ctx: StageContext,
): Promise<{ outcome: StageOutcome; request: AdmissionRequest; fence?: number }> {
  const request = {
    ...admissionRequest(ctx.run, ctx.runbook, ctx.settings, ctx.now, ctx.owner),
    // First come, first woken: the alert's arrival orders the waiters of a place.
    waiter: { id: ctx.run.id, score: Date.parse(ctx.run.receivedAt) },
  };
  const result = await ctx.stores.admission.acquire(request);
  if (result.ok)
    return { outcome: pass('admission', ctx.now, `fence ${result.fence}`), request, fence: result.fence };
  const reason = blockedReason(result.blocked, request);
  const waited = ctx.now - waitingSince(ctx.run);
  if (waited >= ctx.runbook.policy.maxWaitMs) {
    return {
      outcome: stop(
        'admission',
        'wait_timeout',
        ctx.now,
        `waited ${Math.round(waited / 1000)} s (${reason})`,
      ),
      request,
    };
  }
  // Parked until its deadline: a freed place, or the sweep (REMEDIATOR_WAIT_POLL), wakes it before.
  const retryAt = waitingSince(ctx.run) + ctx.runbook.policy.maxWaitMs;
  return { outcome: wait('admission', reason, ctx.now, retryAt, `waiting: ${describe(reason)}`), request };
}

/**
 * When a run started waiting for its places (ms): its arrival, or a human's approval (the approval
 * took time). `maxWait` counts from here.
 */
export function waitingSince(run: RunRecord): number {
  return Date.parse(run.approvals?.findLast((a) => a.state === 'approved')?.decidedAt ?? run.receivedAt);
}

function blockedReason(blocked: string, request: AdmissionRequest): PolicyReason {
  if (blocked === request.lock.key) return 'target_busy';
  if (blocked.startsWith('group:')) return 'group_busy';
  return 'blast_radius';
}

function describe(reason: PolicyReason): string {
  if (reason === 'target_busy') return 'another run is acting on this target';
  if (reason === 'group_busy') return 'another target of this group is being healed';
  return 'the in-flight cap is reached';
}
