import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Runbook } from '../types.ts';

/** How an approval request ended. */
export type ApprovalOutcome = 'approved' | 'denied' | 'expired' | 'cancelled';
const OUTCOMES: ApprovalOutcome[] = ['approved', 'denied', 'expired', 'cancelled'];

/** The approval metrics; part of createMetrics (one factory, one registry). */
export function createApprovalMetrics(registry: Registry, runbooks: readonly Runbook[]) {
  const registers = [registry];
  const approvalRequests = new Counter({
    name: 'remediator_approval_requests_total',
    help: 'Runs (or steps) that asked a human for approval, by runbook.',
    labelNames: ['runbook'] as const,
    registers,
  });
  const approvalOutcomes = new Counter({
    name: 'remediator_approval_outcomes_total',
    help: 'Approval requests ended, by runbook and outcome (approved, denied, expired: nobody answered in time, cancelled: the alert resolved first).',
    labelNames: ['runbook', 'outcome'] as const,
    registers,
  });
  const approvalDecisionTime = new Histogram({
    name: 'remediator_approval_decision_seconds',
    help: 'Time from an approval request to its answer (or expiry), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600],
    registers,
  });
  const approvalsPending = new Gauge({
    name: 'remediator_approvals_pending',
    help: 'Approval requests waiting for an answer (all processes), read at scrape time.',
    registers,
  });
  const approvalOldestPending = new Gauge({
    name: 'remediator_approval_oldest_pending_seconds',
    help: 'Age of the oldest approval request still waiting (0 when none), read at scrape time.',
    registers,
  });
  for (const rb of runbooks) {
    if (!rb.approval && !rb.steps.some((s) => s.approval)) continue;
    approvalRequests.labels(rb.name).inc(0);
    for (const outcome of OUTCOMES) approvalOutcomes.labels(rb.name, outcome).inc(0);
  }
  for (const outcome of OUTCOMES) approvalDecisionTime.zero({ outcome });
  return {
    approvalRequests,
    approvalOutcomes,
    approvalDecisionTime,
    approvalsPending,
    approvalOldestPending,
  };
}
