import { errorMessage } from '../errors.ts';
import { applyRunEnd } from '../policy/after-run.ts';
import { withTargetState } from '../policy/target-state-update.ts';
import type { Escalation } from '../record/escalate.ts';
import type { AdmissionRequest } from '../stores/types.ts';
import type { RunRecord } from '../types.ts';
import { holdAtEnding } from './page-hold.ts';
import type { RunnerDeps } from './runner-deps.ts';

export interface Ending {
  status: 'succeeded' | 'failed' | 'unknown' | 'skipped';
  /** `ok`, `verified`, an error code (E_...) or a policy reason. */
  reason: string;
  message: string;
  /** Page a human: the healer tried and failed, or policy refused a firing alert. */
  escalate?: boolean;
  /** Places held through the gate, given back now. */
  admission?: AdmissionRequest;
  /** The run was the half-open breaker's trial. */
  trial?: boolean;
  /** The run never left `queued` (refused or skipped at the gate): end it only if still queued. */
  fromQueue?: boolean;
}

/**
 * Ends a run and does what follows from it, each part on its own so one failing does not stop the
 * others: give back the places, start the cooldown, feed the circuit breaker, update the target's
 * state, count it, escalate when needed, and save the record last.
 */
export async function finishRun(deps: RunnerDeps, run: RunRecord, ending: Ending): Promise<RunRecord> {
  Object.assign(run, {
    status: ending.status,
    reason: ending.reason,
    message: ending.message,
    finishedAt: deps.now().toISOString(),
  });
  const now = deps.now().getTime();
  const acted = run.steps.some((s) => s.status === 'succeeded' || s.status === 'failed');
  const quietly = (what: string, work: () => Promise<unknown>) =>
    work().catch((err: unknown) =>
      deps.log.warn({ runId: run.id, err: errorMessage(err) }, `after the run: ${what} failed`),
    );
  if (ending.fromQueue) {
    // The run never started: end it only if it is still queued (a resolved alert may have cancelled it).
    if (!(await deps.store.saveIfQueued(run))) return run;
  } else {
    // A superseded attempt must not end the run over the new holder's work: check the fence first.
    await deps.store.assertCurrent(run);
  }
  // First, so people are paged as early as possible when the run did not heal.
  await quietly('page hold', () => holdAtEnding(deps, run, ending));
  await applyRunEnd(
    deps.stores,
    deps.runbooks.get(run.runbook),
    run.target,
    {
      status: ending.status,
      acted,
      trial: ending.trial ?? false,
      ...(ending.admission ? { admission: ending.admission } : {}),
    },
    now,
    quietly,
  );
  if (run.target && (acted || ending.admission)) {
    await quietly('target state', async () => {
      const record = await withTargetState(
        deps.stores.targets,
        run.target,
        { kind: 'run_ended', runId: run.id, result: ending.status },
        now,
        deps.settings.stabilizeMs,
      );
      run.targetState = { ...run.targetState, end: record.state };
    });
  }
  deps.metrics.runs.labels(run.runbook, ending.status).inc();
  if (ending.status !== 'succeeded') deps.metrics.runFailures.labels(run.runbook, ending.reason).inc();
  const sinceAlertStart = (now - Date.parse(run.alert.startsAt)) / 1000; // NaN or < 0: clock skew, not counted
  if (ending.status === 'succeeded' && sinceAlertStart >= 0)
    deps.metrics.timeToRecovery.labels(run.runbook).observe(sinceAlertStart);
  for (const d of run.decisions ?? [])
    if (d.decision !== 'allow')
      deps.metrics.policyDecisions.labels(d.stage, d.decision, d.reason ?? '').inc();
  if (ending.escalate) await quietly('escalation', () => escalate(deps, run));
  await deps.store.save(run);
  if (deps.confirmReplicated) {
    await deps
      .confirmReplicated()
      .catch((err: unknown) =>
        deps.log.warn(
          { runId: run.id, err: errorMessage(err) },
          `run ${ending.status}, but its record is not confirmed on a replica yet: a failover now would lose this outcome`,
        ),
      );
  }
  deps.log.info(
    { runId: run.id, runbook: run.runbook, status: ending.status, reason: ending.reason },
    `run ${ending.status}: ${ending.message}`,
  );
  return run;
}

/** Tells the escalation webhooks about the run as it is now, and stores what they answered. */
export async function escalate(deps: RunnerDeps, run: RunRecord): Promise<void> {
  const escalation: Escalation = {
    runId: run.id,
    runbook: run.runbook,
    target: run.target,
    status: run.status,
    reason: run.reason ?? '',
    message: run.message ?? '',
    alert: {
      labels: { ...run.alert.labels },
      annotations: { ...run.alert.annotations },
      startsAt: run.alert.startsAt,
      fingerprint: run.alert.fingerprint,
    },
    steps: run.steps.map((s) => ({
      name: s.name,
      status: s.status,
      ...(s.errorCode ? { errorCode: s.errorCode } : {}),
      ...(s.error ? { error: s.error } : {}),
      ...(s.verify
        ? { verify: `${s.verify.kind}: ${s.verify.ok ? 'passed' : 'failed'} (${s.verify.detail})` }
        : {}),
    })),
    decisions: (run.decisions ?? []).map((d) => ({
      stage: d.stage,
      decision: d.decision,
      ...(d.reason ? { reason: d.reason } : {}),
    })),
    ...(deps.settings.publicUrl ? { runUrl: `${deps.settings.publicUrl}/api/v1/runs/${run.id}` } : {}),
  };
  const outcomes = await deps.escalate(escalation);
  run.escalations = outcomes;
  for (const o of outcomes) deps.metrics.escalations.labels(o.ok ? 'delivered' : 'failed').inc();
  if (outcomes.length === 0) deps.metrics.escalations.labels('no_webhook').inc();
}
