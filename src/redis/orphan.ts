import { readFile, readlink, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A redis-server left running by a remediator that crashed still holds the append-only file in its
 * data directory; a second server on the same directory would write a diverging AOF. So before
 * starting, stop the process named in `<dataDir>/redis.pid`, but only if it really is a
 * redis-server working in that directory: a stale pidfile may name a reused pid, possibly
 * Debian's system redis-server.
 *
 * @returns the pid that was stopped, or undefined when there was no such process
 */
export async function stopOrphanRedis(
  pidFile: string,
  dataDir: string,
  executable: string,
  log: (msg: string) => void,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  const pid = await readPid(pidFile);
  if (pid === undefined || !(await isRedisIn(pid, dataDir, executable))) return undefined;
  log(`stopping orphaned redis-server (pid ${pid}) left in ${dataDir} by a previous run`);
  // SIGTERM lets redis fsync the AOF; SIGKILL only if it does not finish in time.
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs)) return pid;
  log(`orphaned redis-server (pid ${pid}) ignored SIGTERM for ${timeoutMs} ms; killing it`);
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 2_000);
  return pid;
}

/** The pid in a redis pidfile, or undefined when it is missing or garbled. */
export async function readPid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** True when `pid` runs redis-server (by name) with `dataDir` as its working directory. */
async function isRedisIn(pid: number, dataDir: string, executable: string): Promise<boolean> {
  try {
    // redis rewrites its title to "redis-server 127.0.0.1:PORT", so the first word is the binary.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const program = basename(cmdline.split(/[\0 ]/, 1)[0] ?? '');
    if (program !== 'redis-server' && program !== basename(executable)) return false;
    // redis chdir()s into --dir; comparing it tells our orphan from any other redis-server.
    const [cwd, dir] = await Promise.all([readlink(`/proc/${pid}/cwd`), realpath(dataDir)]);
    return cwd === dir;
  } catch {
    return false; // gone, or not ours to inspect
  }
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name; a zombie has exited already.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await sleep(50);
  }
  return !(await isAlive(pid));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // It exited between the check and the signal: nothing left to stop.
  }
}
