import { isAbsolute, normalize } from 'node:path';
import type { Env } from './settings.ts';

/**
 * What runbooks may run on the remediator host itself (`exec` and `ansible` steps): operator
 * settings, read once at start-up and handed to the runbook loader, which refuses anything else.
 */
export interface LocalStepSettings {
  /**
   * REMEDIATOR_EXEC_ALLOW: comma-separated absolute paths of programs `exec` steps may run; an entry
   * ending in `/` allows every program under that directory. @defaultValue empty: no `exec` step loads
   */
  readonly execAllow: readonly string[];
  /**
   * REMEDIATOR_EXEC_PATH: colon-separated directories where a bare program name (`kubectl`) is looked
   * up, each inside REMEDIATOR_EXEC_ALLOW; also the PATH the program gets. @defaultValue empty: names
   * must be absolute
   */
  readonly execPath: readonly string[];
  /**
   * REMEDIATOR_EXEC_ENV: comma-separated names of remediator's own environment variables passed to
   * `exec` programs and ansible-playbook (e.g. KUBECONFIG); no other variable of the service is.
   * @defaultValue none
   */
  readonly execEnv: readonly string[];
  /** REMEDIATOR_ANSIBLE_PLAYBOOKS: the directory `ansible` steps' playbooks live under. @defaultValue unset: no `ansible` step loads */
  readonly playbooksDir?: string;
}

export const LOCAL_SETTING_NAMES = [
  'REMEDIATOR_EXEC_ALLOW',
  'REMEDIATOR_EXEC_PATH',
  'REMEDIATOR_EXEC_ENV',
  'REMEDIATOR_ANSIBLE_PLAYBOOKS',
] as const;

export const NO_LOCAL_STEPS: LocalStepSettings = Object.freeze({ execAllow: [], execPath: [], execEnv: [] });

/** Reads the REMEDIATOR_EXEC_* and REMEDIATOR_ANSIBLE_* settings, adding what is wrong to `problems`. */
export function readLocalStepSettings(env: Env, problems: string[]): LocalStepSettings {
  const list = (name: string, sep: string) =>
    (env[name] ?? '')
      .split(sep)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const absolute = (name: string, paths: string[]) => {
    for (const p of paths) {
      const bare = p.length > 1 ? p.replace(/\/$/, '') : p;
      if (!isAbsolute(p) || normalize(bare) !== bare) {
        problems.push(`${name}: ${JSON.stringify(p)} must be an absolute, normalised path`);
      }
    }
    return paths;
  };
  const execAllow = absolute('REMEDIATOR_EXEC_ALLOW', list('REMEDIATOR_EXEC_ALLOW', ','));
  const execPath = absolute('REMEDIATOR_EXEC_PATH', list('REMEDIATOR_EXEC_PATH', ':'));
  for (const dir of execPath) {
    if (!programAllowed(`${dir.replace(/\/$/, '')}/x`, execAllow)) {
      problems.push(
        `REMEDIATOR_EXEC_PATH: ${dir} is not a directory REMEDIATOR_EXEC_ALLOW allows (add "${dir.replace(/\/$/, '')}/" to it)`,
      );
    }
  }
  const execEnv = list('REMEDIATOR_EXEC_ENV', ',');
  for (const name of execEnv) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      problems.push(`REMEDIATOR_EXEC_ENV: ${JSON.stringify(name)} is not a variable name`);
  }
  const playbooks = env['REMEDIATOR_ANSIBLE_PLAYBOOKS'] || undefined;
  if (playbooks !== undefined) absolute('REMEDIATOR_ANSIBLE_PLAYBOOKS', [playbooks]);
  return Object.freeze({
    execAllow,
    execPath,
    execEnv,
    ...(playbooks === undefined ? {} : { playbooksDir: playbooks.replace(/(.)\/$/, '$1') }),
  });
}

/** An absolute program path is allowed when an entry names it, or is a directory (`/x/`) above it. */
export function programAllowed(path: string, allow: readonly string[]): boolean {
  if (!isAbsolute(path) || normalize(path) !== path) return false;
  return allow.some((entry) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry));
}

/**
 * The values REMEDIATOR_EXEC_ENV passes to programs: the operator's tokens and keys, so they are
 * redacted from step output like the inventory's secrets.
 */
export function passedEnvValues(settings: LocalStepSettings, env: Env): string[] {
  return settings.execEnv.flatMap((name) => (env[name] === undefined ? [] : [env[name]]));
}
