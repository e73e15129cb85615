/**
 * Runs an exec step's program on the remediator host: execve-style argv (no shell), an environment
 * built from the step alone, a process group of its own that is killed at the deadline. Failures are
 * StepResults, never exceptions.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { programAllowed, type LocalStepSettings } from '../config/local-settings.ts';
import type { Env } from '../config/settings.ts';
import type { StepResult } from '../types.ts';
import type { ExecAction, Executors } from './executor.ts';
import { runProcessGroup } from './process-group.ts';

export interface ExecExecutorDeps {
  readonly settings: LocalStepSettings;
  /** remediator's own environment; only REMEDIATOR_EXEC_ENV's names are taken from it. */
  readonly env: Env;
  /** @defaultValue node:child_process spawn */
  readonly spawn?: typeof nodeSpawn;
}

export function createExecExecutor(deps: ExecExecutorDeps): NonNullable<Executors['exec']> {
  const { settings } = deps;
  return {
    async run(action: ExecAction, signal?: AbortSignal): Promise<StepResult> {
      const name = action.argv[0] ?? '';
      const program = await resolveProgram(name, settings);
      if (!program.ok) return { ok: false, output: '', errorCode: 'E_EXEC', error: program.error };
      return runProcessGroup(
        {
          file: program.path,
          args: action.argv.slice(1),
          argv0: name,
          env: childEnv(action.env, settings, deps.env),
          ...(action.cwd === undefined ? {} : { cwd: action.cwd }),
          ...(action.stdin === undefined ? {} : { stdin: action.stdin }),
          timeoutMs: action.timeoutMs,
        },
        signal,
        deps.spawn,
      );
    },
  };
}

/**
 * PATH is REMEDIATOR_EXEC_PATH (the program's own lookups stay in the operator's directories), then the
 * allow-listed variables of remediator's environment, then the step's own, which win.
 */
export function childEnv(
  stepEnv: Readonly<Record<string, string>>,
  settings: LocalStepSettings,
  serviceEnv: Env,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (settings.execPath.length > 0) env['PATH'] = settings.execPath.join(':');
  for (const name of settings.execEnv) {
    const value = serviceEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...stepEnv };
}

/**
 * The program's absolute path. Checked again here, not only at load: a run record read back from
 * Redis carries its rendered argv, and the allow-list may have shrunk since.
 */
async function resolveProgram(
  name: string,
  settings: LocalStepSettings,
): Promise<{ ok: true; path: string } | { ok: false; error: string }> {
  if (name.startsWith('/')) {
    if (programAllowed(name, settings.execAllow)) return { ok: true, path: name };
    return { ok: false, error: `${name} is not allowed by REMEDIATOR_EXEC_ALLOW` };
  }
  if (name.includes('/') || name === '' || settings.execPath.length === 0) {
    return {
      ok: false,
      error: `${JSON.stringify(name)} is neither an absolute path nor found in REMEDIATOR_EXEC_PATH`,
    };
  }
  for (const dir of settings.execPath) {
    const path = join(dir, name);
    try {
      await access(path, constants.X_OK);
      if ((await stat(path)).isFile() && programAllowed(path, settings.execAllow)) return { ok: true, path };
    } catch {
      // not here: try the next directory
    }
  }
  return {
    ok: false,
    error: `${name}: no executable of that name in REMEDIATOR_EXEC_PATH (${settings.execPath.join(':')})`,
  };
}
