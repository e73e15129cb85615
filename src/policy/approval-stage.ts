import type { ApprovalSpec, RunRecord } from '../types.ts';
import { admissionRequest } from './admission-stage.ts';
import { approvalReasons, type PlaceUsage } from './approval-condition.ts';
import type { ApprovalRecord } from './approval-types.ts';
import { pass } from './outcome.ts';
import type { Decision, StageContext } from './types.ts';

export type ApprovalStageOutcome =
  | { kind: 'pass'; decision?: Decision }
  | { kind: 'ask'; decision: Decision; why: string[]; spec: ApprovalSpec };

/** The runbook's latest run-wide approval request, if any. */
export function runApproval(run: RunRecord): ApprovalRecord | undefined {
  return run.approvals?.findLast((a) => a.scope === 'run');
}

/**
 * The runbook's approval, asked before the run takes any place: passes when the runbook asks for
 * none, when no condition holds, or when a human already approved this run. Otherwise the run must
 * ask (the runner records the request and waits). A dry run records that it would have asked.
 */
export async function approvalStage(ctx: StageContext, dryRun: boolean): Promise<ApprovalStageOutcome> {
  const spec = ctx.runbook.approval;
  if (!spec) return { kind: 'pass' };
  const answered = runApproval(ctx.run);
  if (answered?.state === 'approved') {
    return {
      kind: 'pass',
      decision: pass(
        'approval',
        ctx.now,
        `approved by ${answered.decidedBy ?? '?'} via ${answered.via ?? '?'}`,
      ).decision,
    };
  }
  const why = approvalReasons(spec, ctx.run.alert.labels, ctx.now, await usage(ctx, spec));
  if (why.length === 0) return { kind: 'pass', decision: pass('approval', ctx.now, 'not needed').decision };
  if (dryRun) {
    return {
      kind: 'pass',
      decision: pass('approval', ctx.now, `dry run: would ask for approval (${why.join('; ')})`).decision,
    };
  }
  return {
    kind: 'ask',
    why,
    spec,
    decision: {
      stage: 'approval',
      decision: 'wait',
      reason: 'awaiting_approval',
      detail: why.join('; '),
      at: new Date(ctx.now).toISOString(),
    },
  };
}

/** The in-flight places' use, read only when a condition needs it. */
async function usage(ctx: StageContext, spec: ApprovalSpec): Promise<PlaceUsage[]> {
  if (spec.blastRadiusAbove === undefined) return [];
  const request = admissionRequest(ctx.run, ctx.runbook, ctx.settings, ctx.now, ctx.owner);
  // Global and per-runbook caps: the group's places are about pacing, not blast radius.
  return ctx.stores.admission.usage(request.slots.slice(0, 2), ctx.now);
}
