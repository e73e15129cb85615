import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Runbook, RunStatus, StepStatus } from '../types.ts';
import { createApprovalMetrics } from './approval-metrics.ts';
import { createAuthMetrics } from './auth-metrics.ts';
import { createPageHoldMetrics } from './page-hold-metrics.ts';

export type RunResult = Exclude<RunStatus, 'queued' | 'running' | 'awaiting_approval'>;
export type StepResultLabel = Extract<StepStatus, 'succeeded' | 'failed'>;
export type QueueState = 'waiting' | 'active' | 'delayed' | 'failed';
/** What ingest made of each (runbook, alert) match. */
export type MatchOutcome = 'queued' | 'duplicate' | 'failed';

const RUN_RESULTS: RunResult[] = ['succeeded', 'failed', 'unknown', 'skipped'];
const STEP_RESULTS: StepResultLabel[] = ['succeeded', 'failed'];

/**
 * Every metric remediator exports, made in one place. Label values come from closed sets (runbook and
 * step names from the loaded runbooks), and their series exist from start-up, so a rate() over a
 * counter that has not moved yet is 0, not absent.
 */
export function createMetrics(registry: Registry, runbooks: readonly Runbook[]) {
  const registers = [registry];
  const alertsReceived = new Counter({
    name: 'remediator_alerts_received_total',
    help: 'Alerts received from Alertmanager, by the alert’s own status.',
    labelNames: ['status'] as const,
    registers,
  });
  const notifications = new Counter({
    name: 'remediator_notifications_total',
    help: 'Webhook notifications handled, by result (accepted, invalid, too_large, unauthorized, unavailable, error).',
    labelNames: ['result'] as const,
    registers,
  });
  const truncatedAlerts = new Counter({
    name: 'remediator_alerts_truncated_total',
    help: 'Alerts Alertmanager left out of notifications because of max_alerts (truncatedAlerts).',
    registers,
  });
  const alertsOverlongLabels = new Counter({
    name: 'remediator_alerts_overlong_labels_total',
    help: 'Alerts received with a label value longer than 16 KiB, which matches no regex matcher or pattern.',
    registers,
  });
  const alertsMatched = new Counter({
    name: 'remediator_alerts_matched_total',
    help: 'Alert matches per runbook and what ingest made of them (queued, duplicate, failed).',
    labelNames: ['runbook', 'outcome'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'remediator_runs_total',
    help: 'Runs that ended, by runbook and result (succeeded, failed, unknown, skipped).',
    labelNames: ['runbook', 'result'] as const,
    registers,
  });
  const runFailures = new Counter({
    name: 'remediator_run_failures_total',
    help: 'Runs that did not succeed, by runbook and reason code (E_EXIT, E_TIMEOUT, E_UNKNOWN_TARGET, ...).',
    labelNames: ['runbook', 'reason'] as const,
    registers,
  });
  const steps = new Counter({
    name: 'remediator_steps_total',
    help: 'Steps that ran, by runbook, step, action (ssh, http) and result.',
    labelNames: ['runbook', 'step', 'action', 'result'] as const,
    registers,
  });
  const stepDuration = new Histogram({
    name: 'remediator_step_duration_seconds',
    help: 'How long steps took, by runbook, step and action.',
    labelNames: ['runbook', 'step', 'action'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const webhookDuration = new Histogram({
    name: 'remediator_webhook_request_duration_seconds',
    help: 'Time to answer Alertmanager webhook requests, by HTTP status code.',
    labelNames: ['code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const timeToRecovery = new Histogram({
    name: 'remediator_time_to_recovery_seconds',
    help: 'From the alert’s startsAt to the end of a run that succeeded (verified when it verifies), by runbook.',
    labelNames: ['runbook'] as const,
    buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
    registers,
  });
  const queueJobs = new Gauge({
    name: 'remediator_queue_jobs',
    help: 'Jobs in the run queue by state, read from Redis at scrape time.',
    labelNames: ['state'] as const,
    registers,
  });
  const policyDecisions = new Counter({
    name: 'remediator_policy_decisions_total',
    help: 'Policy decisions that did not simply allow a run: by stage, decision (refuse, skip, wait) and reason.',
    labelNames: ['stage', 'decision', 'reason'] as const,
    registers,
  });
  const verifications = new Counter({
    name: 'remediator_verifications_total',
    help: 'Step verifications by runbook, step, kind (alertResolved, promql, http) and result (passed, failed).',
    labelNames: ['runbook', 'step', 'kind', 'result'] as const,
    registers,
  });
  const escalations = new Counter({
    name: 'remediator_escalations_total',
    help: 'Escalation deliveries by result (delivered, failed, no_webhook).',
    labelNames: ['result'] as const,
    registers,
  });
  const circuitState = new Gauge({
    name: 'remediator_circuit_state',
    help: 'Circuit breaker state per runbook: 1 for the current state (closed, open, half_open), read at scrape time.',
    labelNames: ['runbook', 'state'] as const,
    registers,
  });
  const targetState = new Gauge({
    name: 'remediator_target_state',
    help: 'Target state: 1 for the current one (healthy, degraded, failing, recovering, stabilizing), read at scrape time.',
    labelNames: ['target', 'state'] as const,
    registers,
  });
  const stepSuccessRatio = new Gauge({
    name: 'remediator_step_success_ratio',
    help: 'Healing memory: share of attempts of a step that worked, per runbook, step and alertname.',
    labelNames: ['runbook', 'step', 'alertname'] as const,
    registers,
  });
  const stepAttempts = new Gauge({
    name: 'remediator_step_attempts',
    help: 'Healing memory: attempts of a step, per runbook, step and alertname (all processes).',
    labelNames: ['runbook', 'step', 'alertname'] as const,
    registers,
  });
  const pausesActive = new Gauge({
    name: 'remediator_pauses_active',
    help: 'Operator pauses in force, read at scrape time.',
    registers,
  });
  for (const result of ['delivered', 'failed', 'no_webhook']) escalations.labels(result).inc(0);
  const runbooksLoaded = new Gauge({
    name: 'remediator_runbooks_loaded',
    help: 'Runbooks loaded at start-up.',
    registers,
  });
  runbooksLoaded.set(runbooks.length);
  for (const status of ['firing', 'resolved']) alertsReceived.labels(status).inc(0);
  for (const rb of runbooks) {
    for (const outcome of ['queued', 'duplicate', 'failed']) alertsMatched.labels(rb.name, outcome).inc(0);
    for (const result of RUN_RESULTS) runs.labels(rb.name, result).inc(0);
    timeToRecovery.zero({ runbook: rb.name });
    for (const step of rb.steps) {
      for (const result of STEP_RESULTS) steps.labels(rb.name, step.name, step.action.kind, result).inc(0);
    }
  }
  truncatedAlerts.inc(0);
  alertsOverlongLabels.inc(0);
  return {
    alertsReceived,
    notifications,
    truncatedAlerts,
    alertsOverlongLabels,
    alertsMatched,
    runs,
    runFailures,
    steps,
    stepDuration,
    webhookDuration,
    timeToRecovery,
    queueJobs,
    runbooksLoaded,
    policyDecisions,
    verifications,
    escalations,
    circuitState,
    targetState,
    stepSuccessRatio,
    stepAttempts,
    pausesActive,
    ...createApprovalMetrics(registry, runbooks),
    ...createAuthMetrics(registry),
    ...createPageHoldMetrics(registry, runbooks),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
