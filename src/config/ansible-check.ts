import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Runbook } from '../types.ts';
import type { Env } from './settings.ts';

/** Where runbooks use ansible steps (undo included), as `file: runbook "x": step "y"`. */
export function ansibleSteps(runbooks: readonly Runbook[]): string[] {
  return runbooks.flatMap((rb) =>
    rb.steps
      .filter((s) => s.action.kind === 'ansible' || s.undo?.action.kind === 'ansible')
      .map((s) => `${rb.file}: runbook "${rb.name}": step "${s.name}"`),
  );
}

/**
 * ansible-playbook is optional (Debian's ansible-core): looked up on PATH only when a runbook has an
 * ansible step, so that start-up says which runbook needs it instead of a step failing later.
 * @returns its absolute path, or undefined when no runbook needs it
 */
export async function findAnsiblePlaybook(
  runbooks: readonly Runbook[],
  env: Env,
): Promise<string | undefined> {
  const users = ansibleSteps(runbooks);
  if (users.length === 0) return undefined;
  const path = env['PATH'] ?? '';
  for (const dir of path.split(':').filter((d) => isAbsolute(d))) {
    const file = join(dir, 'ansible-playbook');
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  throw new ConfigError(
    users.map(
      (u) =>
        `${u}: an ansible step needs ansible-playbook, which is not on PATH (${path}); install ansible-core (Debian: apt-get install ansible-core)`,
    ),
  );
}
