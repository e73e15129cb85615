import type { RunStore } from '../record/runs-store.ts';
import type { RunRecord } from '../types.ts';
import type { ApprovalChannel, ApprovalRecord, DecideResult } from './approval-types.ts';

export interface Answer {
  readonly state: Exclude<ApprovalRecord['state'], 'pending'>;
  readonly by: string;
  readonly via: ApprovalChannel;
  readonly comment?: string;
  /** A signed link's steps hash: the answer only counts for the steps it was made for. */
  readonly stepsHash?: string;
  /** Only the request asked at this time may be answered (the runner's expiry and cancel use it). */
  readonly requestedAt?: string;
  /** Only this request may be answered: an answer to an earlier one never counts for a later one. */
  readonly requestId?: string;
}

/**
 * Records an answer on a run waiting for approval, or says why it cannot: pure (the caller writes
 * the result with compare-and-set, so of two answers only the first counts). An answered run goes
 * back to `queued`: the worker takes it from there (goes on, or ends it as denied, expired,
 * resolved). Humans cannot answer after the expiry; the runner's expiry itself can.
 */
export function applyAnswer(
  run: RunRecord,
  answer: Answer,
  now: number,
): { ok: true; run: RunRecord; request: ApprovalRecord } | Exclude<DecideResult, { ok: true }> {
  const current = run.approvals?.at(-1);
  const named = namedRequest(run, answer.requestId);
  if (named) return named;
  if (run.status !== 'awaiting_approval' || !current || current.state !== 'pending') {
    const what = current && current.state !== 'pending' ? `was already ${current.state}` : 'is not waiting';
    return notAwaiting(`run ${run.id} ${what}${current?.decidedBy ? ` by ${current.decidedBy}` : ''}`);
  }
  if (answer.requestedAt !== undefined && answer.requestedAt !== current.requestedAt)
    return notAwaiting(`run ${run.id} asked again since`);
  const human = answer.via !== 'expiry';
  if (human && now >= Date.parse(current.expiresAt)) {
    return {
      ok: false,
      code: 'E_EXPIRED',
      httpStatus: 410,
      message: `the approval request for run ${run.id} expired at ${current.expiresAt}`,
    };
  }
  if (answer.stepsHash !== undefined && answer.stepsHash !== current.stepsHash) {
    return {
      ok: false,
      code: 'E_STALE',
      httpStatus: 409,
      message: `the steps of run ${run.id} are not the ones this link was made for`,
    };
  }
  const request: ApprovalRecord = {
    ...current,
    state: answer.state,
    decidedAt: new Date(now).toISOString(),
    decidedBy: answer.by,
    via: answer.via,
    ...(answer.comment ? { comment: answer.comment } : {}),
  };
  const approvals = [...(run.approvals ?? []).slice(0, -1), request];
  return { ok: true, run: { ...run, status: 'queued', approvals }, request };
}

/** An answer that names a request other than the run's latest is refused: it was for something else. */
function namedRequest(
  run: RunRecord,
  requestId: string | undefined,
): Exclude<DecideResult, { ok: true }> | undefined {
  if (requestId === undefined) return undefined;
  const all = run.approvals ?? [];
  const index = all.findIndex((a) => a.id === requestId);
  if (index < 0)
    return {
      ok: false,
      code: 'E_NOT_FOUND',
      httpStatus: 404,
      message: `run ${run.id} has no approval request ${requestId}`,
    };
  if (index === all.length - 1) return undefined;
  const named = all[index]!;
  const latest = all.at(-1)!;
  return {
    ok: false,
    code: 'E_SUPERSEDED',
    httpStatus: 410,
    message:
      `this answer is for an earlier approval request of run ${run.id} (step "${named.stepName}", ${named.state}); ` +
      `the run asked again since (step "${latest.stepName}", ${latest.state}): answer that request, after looking at it`,
  };
}

function notAwaiting(message: string): Exclude<DecideResult, { ok: true }> {
  return { ok: false, code: 'E_NOT_AWAITING', httpStatus: 409, message };
}

/**
 * Writes an answer onto a stored run with compare-and-set (so exactly one answer counts), or says
 * why it cannot: no such run, or applyAnswer's refusal.
 */
export async function recordAnswer(
  store: RunStore,
  runId: string,
  answer: Answer,
  now: number,
): Promise<{ ok: true; run: RunRecord; request: ApprovalRecord } | Exclude<DecideResult, { ok: true }>> {
  let refused: Exclude<DecideResult, { ok: true }> | undefined;
  let request: ApprovalRecord | undefined;
  const result = await store.update(runId, (run) => {
    const applied = applyAnswer(run, answer, now);
    if (!applied.ok) {
      refused = applied;
      return undefined;
    }
    request = applied.request;
    return applied.run;
  });
  if (result.kind === 'missing')
    return { ok: false, code: 'E_NOT_FOUND', httpStatus: 404, message: `no run ${runId}` };
  if (result.kind === 'unchanged' || !request) return refused!;
  return { ok: true, run: result.run, request };
}
