import { errorCode, errorMessage } from '../errors.ts';
import type { Metrics, RunResult } from '../record/metrics.ts';
import type { RunStore } from '../record/runs-store.ts';
import type {
  Inventory,
  Logger,
  RenderedAction,
  Runbook,
  RunRecord,
  StepRecord,
  StepResult,
  Target,
} from '../types.ts';
import type { Executors } from './executor.ts';
import { renderSteps } from './render-run.ts';

export interface RunnerDeps {
  readonly store: RunStore;
  readonly runbooks: ReadonlyMap<string, Runbook>;
  readonly inventory: Inventory;
  readonly executors: Executors;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * Runs one queued run: claims it, renders every step, then runs the steps in order, saving the record
 * after each change so `GET /api/v1/runs/:id` shows progress. A failed step stops the run.
 */
export async function processRun(
  deps: RunnerDeps,
  runId: string,
  signal?: AbortSignal,
): Promise<RunRecord | undefined> {
  const claim = await deps.store.claim(runId, deps.now().toISOString());
  if (claim.kind === 'missing' || claim.kind === 'finished') {
    deps.log.info({ runId, found: claim.kind }, 'run not claimed: nothing to do');
    return undefined;
  }
  const run = claim.run;
  if (claim.kind === 'interrupted') {
    // The process that ran this died mid-step: whether the step took effect is unknown, so it is not re-run.
    const step = run.steps.find((s) => s.status === 'running');
    if (step) Object.assign(step, { status: 'failed', errorCode: 'E_INTERRUPTED', finishedAt: stamp(deps) });
    return finish(
      deps,
      run,
      'unknown',
      'E_INTERRUPTED',
      `interrupted during step "${step?.name ?? '?'}"; not re-run`,
    );
  }
  run.status = 'running';
  const runbook = deps.runbooks.get(run.runbook);
  if (!runbook)
    return finish(deps, run, 'failed', 'E_RUNBOOK_GONE', `runbook "${run.runbook}" is no longer loaded`);
  const target = deps.inventory.get(run.target);
  if (!target) {
    return finish(deps, run, 'failed', 'E_UNKNOWN_TARGET', `target "${run.target}" is not in the inventory`);
  }
  let actions: RenderedAction[];
  try {
    actions = renderSteps(runbook, run.alert, run.target);
  } catch (err) {
    return finish(deps, run, 'failed', errorCode(err), errorMessage(err));
  }
  run.steps = runbook.steps.map((s, i) => ({ name: s.name, status: 'pending', action: actions[i] }));
  await deps.store.save(run);
  deps.log.info({ runId, runbook: run.runbook, target: run.target }, 'run started');
  for (const step of run.steps) {
    const ok = await runStep(deps, run, step, target, signal);
    if (!ok) {
      for (const rest of run.steps) if (rest.status === 'pending') rest.status = 'skipped';
      return finish(
        deps,
        run,
        'failed',
        step.errorCode ?? 'E_INTERNAL',
        `step "${step.name}" failed: ${step.error ?? ''}`,
      );
    }
  }
  return finish(deps, run, 'succeeded', 'ok', `${run.steps.length} step(s) succeeded`);
}

async function runStep(
  deps: RunnerDeps,
  run: RunRecord,
  step: StepRecord,
  target: Target,
  signal?: AbortSignal,
) {
  const action = step.action!;
  Object.assign(step, { status: 'running', startedAt: stamp(deps) });
  await deps.store.save(run);
  const started = deps.now().getTime();
  const result = await execute(deps, action, target, signal);
  const durationMs = deps.now().getTime() - started;
  Object.assign(step, {
    status: result.ok ? 'succeeded' : 'failed',
    finishedAt: stamp(deps),
    durationMs,
    output: result.output,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus }),
    ...(result.ok ? {} : { errorCode: result.errorCode ?? 'E_INTERNAL', error: result.error ?? 'failed' }),
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

async function execute(
  deps: RunnerDeps,
  action: RenderedAction,
  target: Target,
  signal?: AbortSignal,
): Promise<StepResult> {
  try {
    if (action.kind === 'ssh') {
      if (!target.ssh) return missingSection(target, 'ssh');
      return await deps.executors.ssh.run(target.ssh, action, signal);
    }
    if (!target.http) return missingSection(target, 'http');
    return await deps.executors.http.run(target.http, action, signal);
  } catch (err) {
    return { ok: false, output: '', errorCode: errorCode(err), error: errorMessage(err) };
  }
}

function missingSection(target: Target, kind: 'ssh' | 'http'): StepResult {
  return {
    ok: false,
    output: '',
    errorCode: 'E_NO_EXECUTOR',
    error: `target "${target.name}" has no ${kind} section in the inventory`,
  };
}

async function finish(deps: RunnerDeps, run: RunRecord, status: RunResult, reason: string, message: string) {
  Object.assign(run, { status, reason, message, finishedAt: stamp(deps) });
  await deps.store.save(run);
  deps.metrics.runs.labels(run.runbook, status).inc();
  if (status !== 'succeeded') deps.metrics.runFailures.labels(run.runbook, reason).inc();
  deps.log.info({ runId: run.id, runbook: run.runbook, status, reason }, `run ${status}: ${message}`);
  return run;
}

function stamp(deps: RunnerDeps): string {
  return deps.now().toISOString();
}
