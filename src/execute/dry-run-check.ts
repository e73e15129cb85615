import type { RunRecord, Target } from '../types.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { execute, outcomeFields } from './step-exec.ts';

/**
 * A dry run executes nothing, except that ansible steps run in Ansible's check mode (`--check
 * --diff`), which changes nothing on the host and tells which tasks would change: that goes into the
 * step's record (`tasks`, `output`), the step itself stays skipped.
 */
export async function dryRunSteps(deps: RunnerDeps, run: RunRecord, target: Target): Promise<void> {
  for (const step of run.steps) {
    Object.assign(step, { status: 'skipped', skippedBecause: 'dry_run' });
    if (step.action?.kind !== 'ansible') continue;
    const action = { ...step.action, check: true };
    const result = await execute(deps, action, target);
    Object.assign(step, { action, ...outcomeFields(result) });
  }
}
