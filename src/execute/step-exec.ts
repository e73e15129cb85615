import { errorCode, errorMessage } from '../errors.ts';
import type { RenderedAction, StepResult, Target } from '../types.ts';
import type { RunnerDeps } from './runner-deps.ts';

export function outcomeFields(result: StepResult) {
  return {
    output: result.output,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(result.httpStatus === undefined ? {} : { httpStatus: result.httpStatus }),
    ...(result.ok ? {} : { errorCode: result.errorCode ?? 'E_INTERNAL', error: result.error ?? 'failed' }),
    ...(result.tasks === undefined ? {} : { tasks: [...result.tasks] }),
  };
}

/**
 * Runs one action on its target. What the target sends back passes through deps.redact before anyone
 * sees it: from here it goes to run records, escalations and logs.
 */
export async function execute(
  deps: RunnerDeps,
  action: RenderedAction,
  target: Target,
  signal?: AbortSignal,
): Promise<StepResult> {
  const result = await executeRaw(deps, action, target, signal);
  const redact = deps.redact;
  if (redact === undefined) return result;
  return {
    ...result,
    output: redact(result.output),
    ...(result.error === undefined ? {} : { error: redact(result.error) }),
  };
}

async function executeRaw(
  deps: RunnerDeps,
  action: RenderedAction,
  target: Target,
  signal?: AbortSignal,
): Promise<StepResult> {
  try {
    if (action.kind === 'exec') {
      if (!deps.executors.exec) return noExecutor('exec steps are not enabled in this process');
      return await deps.executors.exec.run(action, signal);
    }
    if (action.kind === 'ansible') {
      if (!target.ssh) return missingSection(target, 'ssh');
      if (!deps.executors.ansible) return noExecutor('ansible steps are not enabled in this process');
      return await deps.executors.ansible.run(target.ssh, action, signal);
    }
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

function noExecutor(error: string): StepResult {
  return { ok: false, output: '', errorCode: 'E_NO_EXECUTOR', error };
}

function missingSection(target: Target, kind: 'ssh' | 'http'): StepResult {
  return {
    ok: false,
    output: '',
    errorCode: 'E_NO_EXECUTOR',
    error: `target "${target.name}" has no ${kind} section in the inventory`,
  };
}
