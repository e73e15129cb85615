/**
 * Runs an ansible step: ansible-playbook against the run's target alone, its host key pinned, its
 * extra vars from a file, its own temp directory for everything Ansible writes locally; the task
 * outcomes go into the step result. Failures are StepResults, never exceptions.
 */
import { spawn as nodeSpawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStepSettings } from '../config/local-settings.ts';
import type { Env } from '../config/settings.ts';
import { errorMessage } from '../errors.ts';
import type { SshTarget, StepResult, TaskOutcome } from '../types.ts';
import {
  CALLBACK_PLUGIN,
  extraVarsFile,
  HOST_ALIAS,
  inventoryFile,
  knownHostsFile,
  sshArgs,
  TASK_MARKER,
} from './ansible-files.ts';
import type { AnsibleAction, Executors } from './executor.ts';
import { groupResult, spawnGroup, type GroupOutcome } from './process-group.ts';

export interface AnsibleExecutorDeps {
  /** Absolute path of ansible-playbook, found on PATH at start-up (src/config/ansible-check.ts). */
  readonly ansiblePlaybook: string;
  readonly settings: LocalStepSettings;
  /** remediator's environment: PATH, and the names REMEDIATOR_EXEC_ENV passes through. */
  readonly env: Env;
  /** @defaultValue os.tmpdir() */
  readonly tmpDir?: string;
  readonly spawn?: typeof nodeSpawn;
}

export function createAnsibleExecutor(deps: AnsibleExecutorDeps): NonNullable<Executors['ansible']> {
  return {
    async run(target: SshTarget, action: AnsibleAction, signal?: AbortSignal): Promise<StepResult> {
      const dir = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'remediator-ansible-'));
      try {
        const files = await writeRunFiles(dir, target, action);
        const outcome = await spawnGroup(
          {
            file: deps.ansiblePlaybook,
            args: playbookArgs(action, files),
            argv0: 'ansible-playbook',
            env: ansibleEnv(dir, files.knownHosts, deps),
            cwd: dir,
            timeoutMs: action.timeoutMs,
          },
          signal,
          deps.spawn,
          true,
        );
        return ansibleResult(action, outcome);
      } catch (err) {
        return { ok: false, output: '', errorCode: 'E_ANSIBLE', error: `ansible: ${errorMessage(err)}` };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

async function writeRunFiles(dir: string, target: SshTarget, action: AnsibleAction) {
  const file = (name: string, text: string) => writeFile(join(dir, name), text, { mode: 0o600 });
  const knownHosts = target.knownHostsFile ?? join(dir, 'known_hosts');
  if (target.knownHostsFile === undefined) await file('known_hosts', knownHostsFile(target));
  await file('inventory.yml', inventoryFile(target));
  await file('extra-vars.yml', extraVarsFile(action.extraVars));
  await file('ansible.cfg', '');
  await mkdir(join(dir, 'callback_plugins'));
  await file('callback_plugins/remediator_json.py', CALLBACK_PLUGIN);
  for (const sub of ['home', 'local-tmp']) await mkdir(join(dir, sub), { mode: 0o700 });
  return { inventory: join(dir, 'inventory.yml'), vars: join(dir, 'extra-vars.yml'), knownHosts };
}

export function playbookArgs(action: AnsibleAction, files: { inventory: string; vars: string }): string[] {
  return [
    '--inventory',
    files.inventory,
    '--limit',
    HOST_ALIAS,
    '--extra-vars',
    `@${files.vars}`,
    ...(action.tags.length > 0 ? ['--tags', action.tags.join(',')] : []),
    ...(action.check ? ['--check', '--diff'] : []),
    action.playbook,
  ];
}

/** Everything Ansible writes locally goes under `dir`; no config but the empty one there is read. */
function ansibleEnv(dir: string, knownHosts: string, deps: AnsibleExecutorDeps): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const name of deps.settings.execEnv) {
    const value = deps.env[name];
    if (value !== undefined) passed[name] = value;
  }
  return {
    ...passed,
    PATH: deps.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: join(dir, 'home'),
    LANG: 'C.UTF-8',
    ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
    ANSIBLE_LOCAL_TEMP: join(dir, 'local-tmp'),
    ANSIBLE_CALLBACK_PLUGINS: join(dir, 'callback_plugins'),
    ANSIBLE_STDOUT_CALLBACK: 'remediator_json',
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    ANSIBLE_SSH_ARGS: sshArgs(knownHosts),
    // Modules through ssh's stdin and files through `dd`: only the login shell and python are needed on
    // the host (no sftp subsystem, no scp), and no fallback chain of three connections per file.
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_SSH_TRANSFER_METHOD: 'piped',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
  };
}

/** The task lines of the callback's output, in order. */
export function parseTasks(stdout: string): TaskOutcome[] {
  const tasks: TaskOutcome[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(TASK_MARKER)) continue;
    try {
      const t = JSON.parse(line.slice(TASK_MARKER.length)) as TaskOutcome;
      tasks.push({
        task: String(t.task),
        status: t.status,
        ...(t.message ? { message: String(t.message) } : {}),
      });
    } catch {
      // a line cut by the kill at the deadline
    }
  }
  return tasks;
}

/** The first failed or unreachable task names the error; otherwise the exit code decides. */
export function ansibleResult(action: AnsibleAction, outcome: GroupOutcome): StepResult {
  const tasks = parseTasks(outcome.stdout);
  const base = groupResult('ansible-playbook', action.timeoutMs, outcome);
  // The task lines are in `tasks` and the summary: what stays of stdout is anything else it printed.
  const rest = outcome.output
    .split('\n')
    .filter((l) => !l.startsWith(TASK_MARKER))
    .join('\n')
    .replace(/^stdout:\n(?=stderr:\n|$)/, '');
  const output = summary(tasks) + rest;
  const bad = tasks.find((t) => t.status === 'failed' || t.status === 'unreachable');
  if (!base.ok && base.errorCode !== 'E_TIMEOUT' && base.errorCode !== 'E_EXEC' && bad) {
    const hostKey = bad.status === 'unreachable' && /host key verification failed/i.test(bad.message ?? '');
    const code = hostKey ? 'E_HOST_KEY' : bad.status === 'unreachable' ? 'E_SSH' : 'E_ANSIBLE';
    const what = bad.status === 'unreachable' ? 'could not reach the host' : 'failed';
    return {
      ...base,
      output,
      tasks,
      errorCode: code,
      error: `task "${bad.task}" ${what}: ${bad.message ?? ''}`.trim(),
    };
  }
  return { ...base, output, tasks };
}

function summary(tasks: readonly TaskOutcome[]): string {
  return tasks.map((t) => `${t.status}: ${t.task}\n`).join('');
}
