import { join } from 'node:path';
import { RemediatorError } from '../errors.ts';
import { literalText } from '../execute/template.ts';
import type { AnsibleStepSpec, ExecStepSpec, Template } from '../types.ts';
import { parseDuration } from './duration.ts';
import { FieldError } from './field-error.ts';
import { programAllowed, type LocalStepSettings } from './local-settings.ts';
import type { Path } from './schema-check.ts';

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
export const DEFAULT_ANSIBLE_TIMEOUT_MS = 300_000;

export interface RawExec {
  command: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string;
  timeout?: string;
}

export interface RawAnsible {
  playbook: string;
  extraVars?: Record<string, string>;
  tags?: string[];
  timeout?: string;
}

type Field = (path: Path, source: string) => Template;

const fail = (path: Path, message: string): never => {
  throw new FieldError(path, new RemediatorError('E_CONFIG', message));
};

/** Text the runbook writes out itself: a template naming anything (even a param) is refused. */
function literal(path: Path, source: string, what: string): string {
  if (literalText(source) !== source || source.includes('{{')) {
    fail(path, `${JSON.stringify(source)}: ${what} must be written out in the runbook, not templated`);
  }
  return source;
}

/** An exec step: its program checked against the operator's allow-list now, at load. */
export function compileExec(raw: RawExec, field: Field, settings: LocalStepSettings): ExecStepSpec {
  const program = literal(['exec', 'command', 0], raw.command[0]!, 'the program');
  checkProgram(program, settings);
  const env: Record<string, Template> = {};
  for (const [name, value] of Object.entries(raw.env ?? {})) env[name] = field(['exec', 'env', name], value);
  return {
    kind: 'exec',
    command: raw.command.map((arg, i) => field(['exec', 'command', i], arg)),
    env,
    ...(raw.cwd === undefined ? {} : { cwd: literal(['exec', 'cwd'], raw.cwd, 'cwd') }),
    ...(raw.stdin === undefined ? {} : { stdin: field(['exec', 'stdin'], raw.stdin) }),
    timeoutMs: durationOr(raw.timeout, DEFAULT_EXEC_TIMEOUT_MS),
  };
}

function checkProgram(program: string, settings: LocalStepSettings): void {
  const at: Path = ['exec', 'command', 0];
  const allowed =
    settings.execAllow.length === 0 ? 'it is empty' : `it holds ${settings.execAllow.join(', ')}`;
  if (program.includes('/')) {
    if (!program.startsWith('/'))
      fail(at, `${JSON.stringify(program)}: write the program's absolute path or a bare name`);
    if (!programAllowed(program, settings.execAllow)) {
      fail(at, `${JSON.stringify(program)} is not allowed by REMEDIATOR_EXEC_ALLOW (${allowed})`);
    }
    return;
  }
  if (!/^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/.test(program)) {
    fail(at, `${JSON.stringify(program)} is not a program name`);
  }
  if (settings.execPath.length === 0) {
    fail(
      at,
      `${JSON.stringify(program)} is a bare name and REMEDIATOR_EXEC_PATH is empty: write its absolute path, or set REMEDIATOR_EXEC_PATH`,
    );
  }
}

/**
 * Names extra vars may not take: Ansible's connection variables (`ansible_ssh_common_args` from a
 * param would be an ssh option) and its magic variables, which extra vars would override.
 */
const RESERVED_VAR = /^(ansible_|inventory_|hostvars$|groups$|group_names$|play_hosts$|omit$|environment$)/;

/** An ansible step: the playbook checked to lie under the operator's playbooks directory. */
export function compileAnsible(raw: RawAnsible, field: Field, settings: LocalStepSettings): AnsibleStepSpec {
  const at: Path = ['ansible', 'playbook'];
  if (settings.playbooksDir === undefined) {
    fail(at, 'ansible steps need REMEDIATOR_ANSIBLE_PLAYBOOKS, the directory playbooks live under');
  }
  const playbook = literal(at, raw.playbook, 'the playbook');
  if (playbook.startsWith('/') || playbook.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    fail(
      at,
      `${JSON.stringify(playbook)}: give a path relative to REMEDIATOR_ANSIBLE_PLAYBOOKS, without "." or ".." segments`,
    );
  }
  const extraVars: Record<string, Template> = {};
  for (const [name, value] of Object.entries(raw.extraVars ?? {})) {
    if (RESERVED_VAR.test(name)) {
      fail(
        ['ansible', 'extraVars', name],
        `"${name}" is a variable Ansible itself uses; choose another name`,
      );
    }
    extraVars[name] = field(['ansible', 'extraVars', name], value);
  }
  return {
    kind: 'ansible',
    playbook: join(settings.playbooksDir!, playbook),
    extraVars,
    tags: raw.tags ?? [],
    timeoutMs: durationOr(raw.timeout, DEFAULT_ANSIBLE_TIMEOUT_MS),
  };
}

function durationOr(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}
