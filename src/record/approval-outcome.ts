import type { ApprovalRecord } from '../policy/approval-types.ts';
import type { ApprovalStore } from '../stores/types.ts';
import type { Logger, RunRecord } from '../types.ts';
import type { ApprovalOutcome } from './approval-metrics.ts';
import type { Metrics } from './metrics.ts';

/** Counts an ended approval request (outcome, time to decision) and takes it off the pending list. */
export async function noteAnswered(
  deps: { metrics: Metrics; stores: { approvals: ApprovalStore }; log: Logger },
  run: RunRecord,
  request: ApprovalRecord,
  outcome: ApprovalOutcome,
): Promise<void> {
  await deps.stores.approvals.remove(run.id);
  deps.metrics.approvalOutcomes.labels(run.runbook, outcome).inc();
  const waited = (Date.parse(request.decidedAt ?? '') - Date.parse(request.requestedAt)) / 1000;
  if (waited >= 0) deps.metrics.approvalDecisionTime.labels(outcome).observe(waited);
  deps.log.info(
    { runId: run.id, outcome, by: request.decidedBy, via: request.via, step: request.stepName },
    `approval ${outcome}`,
  );
}
