import { errorMessage } from '../errors.ts';
import { occurrenceId } from '../ingest/occurrence.ts';
import { approvalReasons } from '../policy/approval-condition.ts';
import { admissionRequest } from '../policy/admission-stage.ts';
import type { ApprovalSpec, Runbook, RunRecord, StepRecord, StepSpec, Target } from '../types.ts';
import type { VerifySpec } from '../verify/types.ts';
import { runContext } from './render-run.ts';
import { renderVerify } from './render-verify.ts';
import { execute, outcomeFields } from './step-exec.ts';
import type { RunnerDeps } from './runner-deps.ts';

export type LadderResult =
  | { status: 'succeeded' | 'failed' | 'skipped'; reason: string; message: string }
  /** Step `step` needs a human's approval first: the run stops here and asks. */
  | { status: 'awaiting_approval'; step: number; why: string[]; spec: ApprovalSpec };

/**
 * Runs the steps in order, gentlest first. A step whose action fails stops the run. A step with a
 * `verify` block that passes ends the run (later steps are not needed); one that fails moves on to the
 * next step. Between steps, a resolved alert aborts the run when the runbook says so.
 */
export async function runLadder(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  target: Target,
  signal: AbortSignal,
  from: number,
  /** Step `from`'s action already succeeded (an interrupted run resumed): only its check runs. */
  checkOnly = false,
): Promise<LadderResult> {
  // The run's outcome follows the last step that ran: if it had a check, that check decides.
  let lastVerify: StepRecord['verify'];
  const lockLost = (): LadderResult => {
    skipRest(run, 'aborted');
    return { status: 'failed', reason: 'lock_lost', message: 'the target lock was lost' };
  };
  for (let i = from; i < run.steps.length; i++) {
    const step = run.steps[i]!;
    const spec = specOf(runbook, step.name);
    const abortable = runbook.on === 'firing' && runbook.policy.onResolved === 'abort';
    if (i > from && abortable && (await resolved(deps, run))) {
      skipRest(run, 'aborted');
      return {
        status: 'skipped',
        reason: 'resolved',
        message: `the alert resolved; stopped before step "${step.name}"`,
      };
    }
    const resumedCheck = checkOnly && i === from;
    if (spec.approval && !resumedCheck) {
      const why = await stepApprovalNeeded(deps, run, runbook, i, spec.approval);
      if (why.length > 0) return { status: 'awaiting_approval', step: i, why, spec: spec.approval };
    }
    const ok = resumedCheck || (await runStep(deps, run, step, target, signal));
    if (signal.aborted) return lockLost();
    if (!ok) {
      await deps.stores.stats.record(runbook.name, alertname(run), step.name, false).catch(() => undefined);
      skipRest(run, 'run_failed');
      return {
        status: 'failed',
        reason: step.errorCode ?? 'E_INTERNAL',
        message: `step "${step.name}" failed: ${step.error ?? ''}`,
      };
    }
    if (!spec.verify) {
      lastVerify = undefined;
      await deps.stores.stats.record(runbook.name, alertname(run), step.name, true).catch(() => undefined);
      continue;
    }
    lastVerify = step.verify = await verifyStep(deps, run, runbook, step, spec, target, signal);
    // An aborted check says nothing about the step: shown in the record, not counted anywhere.
    if (signal.aborted) return lockLost();
    await deps.store.save(run);
    await deps.stores.stats
      .record(runbook.name, alertname(run), step.name, step.verify.ok)
      .catch(() => undefined);
    deps.metrics.verifications
      .labels(run.runbook, step.name, step.verify.kind, step.verify.ok ? 'passed' : 'failed')
      .inc();
    if (step.verify.ok) {
      skipRest(run, 'not_needed');
      return {
        status: 'succeeded',
        reason: 'verified',
        message: `step "${step.name}" fixed it: ${step.verify.detail}`,
      };
    }
  }
  if (lastVerify && !lastVerify.ok) {
    return {
      status: 'failed',
      reason: 'verify_failed',
      message: `no step fixed it; last check: ${lastVerify.detail}`,
    };
  }
  return { status: 'succeeded', reason: 'ok', message: `${run.steps.length} step(s) succeeded` };
}

async function runStep(
  deps: RunnerDeps,
  run: RunRecord,
  step: StepRecord,
  target: Target,
  signal: AbortSignal,
) {
  const action = step.action!;
  Object.assign(step, { status: 'running', startedAt: deps.now().toISOString() });
  await deps.store.save(run);
  const started = deps.now().getTime();
  const result = await execute(deps, action, target, signal);
  const durationMs = deps.now().getTime() - started;
  Object.assign(step, {
    status: result.ok ? 'succeeded' : 'failed',
    finishedAt: deps.now().toISOString(),
    durationMs,
    ...outcomeFields(result),
  });
  await deps.store.save(run);
  deps.metrics.steps.labels(run.runbook, step.name, action.kind, result.ok ? 'succeeded' : 'failed').inc();
  deps.metrics.stepDuration.labels(run.runbook, step.name, action.kind).observe(durationMs / 1000);
  deps.log.info(
    { runId: run.id, step: step.name, ok: result.ok, code: result.errorCode, durationMs },
    'step ended',
  );
  return result.ok;
}

async function verifyStep(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  step: StepRecord,
  spec: StepSpec,
  target: Target,
  signal: AbortSignal,
): Promise<NonNullable<StepRecord['verify']>> {
  const v = spec.verify!;
  let check: VerifySpec;
  try {
    check = renderVerify(v, runContext(runbook, run.alert, run.target), spec.name);
  } catch (err) {
    return { kind: v.kind, ok: false, detail: errorMessage(err), elapsedMs: 0 };
  }
  const result = await deps.verify(check, {
    occurrences: deps.stores.occurrences,
    alert: {
      occurrence: occurrenceId(run.alert.fingerprint, run.alert.startsAt),
      fingerprint: run.alert.fingerprint,
      labels: run.alert.labels,
    },
    ...(deps.settings.alertmanagerUrl ? { alertmanagerUrl: deps.settings.alertmanagerUrl } : {}),
    ...(deps.settings.prometheusUrl ? { prometheusUrl: deps.settings.prometheusUrl } : {}),
    ...(target.http ? { httpTarget: target.http } : {}),
    fetch: deps.fetch,
    now: () => deps.now().getTime(),
    sleep: deps.sleep,
    signal,
  });
  deps.log.info(
    { runId: run.id, step: step.name, verify: v.kind, ok: result.ok, detail: result.detail },
    'verification ended',
  );
  return { kind: v.kind, ok: result.ok, detail: result.detail, elapsedMs: result.elapsedMs };
}

/** Why step `index` must wait for a human: empty when it was approved already or no condition holds. */
async function stepApprovalNeeded(
  deps: RunnerDeps,
  run: RunRecord,
  runbook: Runbook,
  index: number,
  spec: ApprovalSpec,
): Promise<string[]> {
  if (run.approvals?.some((a) => a.scope === 'step' && a.step === index && a.state === 'approved')) return [];
  const now = deps.now().getTime();
  let usage: Array<{ key: string; used: number; limit: number }> = [];
  if (spec.blastRadiusAbove !== undefined) {
    const slots = admissionRequest(run, runbook, deps.settings, now, run.id).slots.slice(0, 2);
    // This run holds its places already: approvalReasons counts it once more.
    usage = (await deps.stores.admission.usage(slots, now)).map((u) => ({
      ...u,
      used: Math.max(0, u.used - 1),
    }));
  }
  return approvalReasons(spec, run.alert.labels, now, usage);
}

function specOf(runbook: Runbook, name: string): StepSpec {
  return runbook.steps.find((s) => s.name === name)!;
}

function skipRest(run: RunRecord, because: string) {
  for (const s of run.steps)
    if (s.status === 'pending') Object.assign(s, { status: 'skipped', skippedBecause: because });
}

function alertname(run: RunRecord): string {
  return run.alert.labels['alertname'] ?? '';
}

async function resolved(deps: RunnerDeps, run: RunRecord): Promise<boolean> {
  const [yes] = await deps.stores.occurrences.areResolved([
    occurrenceId(run.alert.fingerprint, run.alert.startsAt),
  ]);
  return yes === true;
}
