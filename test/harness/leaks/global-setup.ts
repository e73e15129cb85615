import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLeaks, findLeftovers, findOwnProcesses, RUN_DIR_VAR, type OwnProcess } from './scan.ts';

/** Caches that tools keep in the temp directory on purpose (tsx's transpile cache). */
const EXPECTED = (name: string): boolean => /^tsx-\d+$/.test(name);
const KILL_WAIT_MS = 2_000;

/**
 * vitest globalSetup: one run directory for the whole run, made the temp directory of every worker
 * and of everything they start (TMPDIR; test/harness/leaks/per-file.ts gives each test file its own
 * directory in it). The teardown fails the run (exit code 1) when a process of this run is still
 * alive (it is killed) or a file is left in the run directory, and names the test file and test.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const base = tmpdir();
  // Short names: Unix socket paths (HAProxy's, Chromium's) must fit in 108 bytes.
  const runDir = await realpath(await mkdtemp(join(base, 'rm-run-')));
  // Traversable (not listable) by others, like /tmp itself: tests log in over ssh as unprivileged users
  // whose scripts live below (trust-login-shells); what each test keeps private is in its own 0700 dir.
  await chmod(runDir, 0o711);
  // Node's compile cache stays shared between runs, outside the run directory.
  process.env['NODE_COMPILE_CACHE'] ??= join(base, 'node-compile-cache');
  process.env[RUN_DIR_VAR] = runDir;
  process.env['TMPDIR'] = runDir;
  return async () => {
    // The runner and its workers carry the run's variable too; they are not leaks.
    const exclude = (pid: number, parentPid: number) => pid === process.pid || parentPid === process.pid;
    const processes = await findOwnProcesses(runDir, { exclude });
    await killAll(processes);
    const leftovers = await findLeftovers(runDir, EXPECTED);
    await rm(runDir, { recursive: true, force: true });
    const report = describeLeaks(processes, leftovers);
    if (report === '') return;
    process.stderr.write(`\nleak check failed: the tests left behind\n${report}\n`);
    process.exitCode = 1;
  };
}

async function killAll(processes: readonly OwnProcess[]): Promise<void> {
  for (const { pid } of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + KILL_WAIT_MS;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (processes.some((p) => alive(p.pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
