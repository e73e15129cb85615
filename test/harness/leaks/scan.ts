import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Environment variables that tie a process to one test run (see test/harness/leaks/global-setup.ts). */
export const RUN_DIR_VAR = 'TEST_RUN_DIR';
export const STARTED_BY_VAR = 'TEST_STARTED_BY';

export interface OwnProcess {
  readonly pid: number;
  readonly command: string;
  /** The test that was running when it was spawned, when its environment still tells. */
  readonly startedBy?: string;
  /** Why it counts as this run's: `env`, `cwd` or `args`. */
  readonly evidence: string;
}

export interface ScanOptions {
  /** @defaultValue /proc */
  readonly procRoot?: string;
  /** Never reported: the runner itself and its workers. */
  readonly exclude?: (pid: number, parentPid: number) => boolean;
}

/**
 * Every live process that belongs to the test run in `runDir`. Three kinds of evidence, because each
 * misses some: the run's variable in its environment (lost when a program rewrites its title over
 * the environment, as redis-server and sshd do), a working directory under the run directory (where
 * the harness starts redis-server), or the run directory in its arguments (config and data paths).
 */
export async function findOwnProcesses(runDir: string, opts: ScanOptions = {}): Promise<OwnProcess[]> {
  const procRoot = opts.procRoot ?? '/proc';
  const found: OwnProcess[] = [];
  for (const name of await readdir(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const read = (file: string) => readFile(join(procRoot, name, file), 'utf8').catch(() => '');
    const stat = await read('stat');
    // "pid (name) state ppid ...": the name may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited; only its parent's wait() is missing.
    if (stat === '' || state === 'Z') continue;
    const parentPid = Number(ppid);
    if (opts.exclude?.(pid, parentPid)) continue;
    const environ = (await read('environ')).split('\0');
    const command = (await read('cmdline')).split('\0').join(' ').trim();
    const cwd = await readlink(join(procRoot, name, 'cwd')).catch(() => '');
    const evidence = environ.includes(`${RUN_DIR_VAR}=${runDir}`)
      ? 'env'
      : cwd === runDir || cwd.startsWith(`${runDir}/`)
        ? 'cwd'
        : command.includes(runDir)
          ? 'args'
          : undefined;
    if (evidence === undefined) continue;
    const startedBy = environ.find((entry) => entry.startsWith(`${STARTED_BY_VAR}=`));
    found.push({
      pid,
      command: command.slice(0, 200),
      evidence,
      ...(startedBy ? { startedBy: startedBy.slice(STARTED_BY_VAR.length + 1) } : {}),
    });
  }
  return found;
}

/**
 * Files and directories left in `dir`, as paths relative to it, down to the first level below each
 * test file's directory (enough to name what leaked without listing a whole Redis data directory).
 * `expected` names entries that may stay (caches that tools keep in the temp directory).
 */
export async function findLeftovers(dir: string, expected: (name: string) => boolean): Promise<string[]> {
  const left: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (expected(entry.name)) continue;
    if (!entry.isDirectory() || !entry.name.startsWith('t-')) {
      left.push(entry.name);
      continue;
    }
    for (const inner of await readdir(join(dir, entry.name))) {
      if (!expected(inner)) left.push(`${entry.name}/${inner}`);
    }
  }
  return left.sort();
}

/** The report that fails the run; empty when nothing leaked. */
export function describeLeaks(processes: readonly OwnProcess[], leftovers: readonly string[]): string {
  const lines: string[] = [];
  if (processes.length > 0) {
    lines.push(`${processes.length} process(es) outlived the tests (killed now):`);
    for (const p of processes) {
      lines.push(
        `  pid ${p.pid} (${p.evidence}) started by ${p.startedBy ?? 'an unknown test'}: ${p.command}`,
      );
    }
  }
  if (leftovers.length > 0) {
    lines.push(`${leftovers.length} temp file(s) or directory(ies) left (t-<name>: the test file's):`);
    for (const path of leftovers) lines.push(`  ${path}`);
  }
  return lines.join('\n');
}
