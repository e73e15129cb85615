import type { AuditLog } from '../record/events.ts';
import { noteAnswered } from '../record/approval-outcome.ts';
import type { Metrics } from '../record/metrics.ts';
import type { RunStore } from '../record/runs-store.ts';
import type { ApprovalStore } from '../stores/types.ts';
import type { Logger } from '../types.ts';
import { recordAnswer } from './approval-answer.ts';
import type { ApprovalService } from './approval-types.ts';

export interface ApprovalServiceDeps {
  readonly store: RunStore;
  readonly stores: { readonly approvals: ApprovalStore };
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly now: () => Date;
  /** Makes the run's job due now (queue/wake.ts). */
  readonly wake: (runId: string) => Promise<void>;
}

/**
 * Every way of answering (API, CLI through the API, signed link, Slack, console) ends here. The
 * answer is written with compare-and-set on the run record, so exactly one answer counts and a second
 * use of any link or button is refused; then the run is woken and the answer counted and audited.
 */
export function createApprovalService(deps: ApprovalServiceDeps): ApprovalService {
  return {
    async decide(input) {
      const now = deps.now().getTime();
      const state = input.decision === 'approve' ? 'approved' : 'denied';
      const result = await recordAnswer(
        deps.store,
        input.runId,
        {
          state,
          by: input.by,
          via: input.via,
          ...(input.comment ? { comment: input.comment } : {}),
          ...(input.stepsHash ? { stepsHash: input.stepsHash } : {}),
          ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
        },
        now,
      );
      if (!result.ok) return result;
      const { run, request } = result;
      await noteAnswered(deps, run, request, state);
      await deps.wake(run.id);
      await deps.audit
        .append({
          type: state === 'approved' ? 'approval:granted' : 'approval:denied',
          at: new Date(now).toISOString(),
          runId: run.id,
          runbook: run.runbook,
          target: run.target,
          step: request.stepName,
          by: input.by,
          via: input.via,
          ...(input.comment ? { comment: input.comment } : {}),
        })
        .catch((err: unknown) => deps.log.warn({ err: String(err) }, 'audit event not written'));
      return { ok: true, run };
    },
  };
}
