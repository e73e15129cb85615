/**
 * Throwaway system users with a chosen login shell, for tests that need sshd to hand a command to fish,
 * tcsh, csh, yash... (sshd takes the shell from the passwd entry of the user it logs in, so running it
 * as another user is not enough). Needs root, as CI has; each user is removed by its remove(), at exit,
 * or, if a crashed run left it behind, by the next run (names carry the pid that made them).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'rmt-';
const live = new Set<string>();
process.once('exit', () => {
  for (const name of live) {
    try {
      execFileSync('userdel', [name], { stdio: 'ignore' });
    } catch {
      // removeStaleUsers() in a later run gets it.
    }
  }
});

export interface LoginUser {
  readonly name: string;
  readonly shell: string;
  remove(): Promise<void>;
}

export const canCreateUsers = (): boolean => process.getuid?.() === 0;

/**
 * Creates a user whose login shell is `shell` and whose home is `homeRoot/<shell name>`. Its password
 * is `*`, not useradd's `!`: with UsePAM no, sshd refuses an account whose password is locked (`!`).
 */
export async function createLoginUser(shell: string, homeRoot: string): Promise<LoginUser> {
  const name = `${PREFIX}${process.pid}-${basename(shell)}`.slice(0, 32);
  const home = join(homeRoot, basename(shell));
  await retryLocked(() => run('useradd', ['-M', '-N', '-d', home, '-s', shell, '-p', '*', name]));
  live.add(name);
  const id = Number((await run('id', ['-u', name])).stdout.trim());
  // fish and zsh look for their files in the home; a missing one only adds warnings, but keeps stderr clean.
  await mkdir(home, { recursive: true });
  await chown(home, id, 100);
  await chmod(homeRoot, 0o755);
  let removing: Promise<void> | undefined;
  const remove = () =>
    (removing ??= retryLocked(() => run('userdel', [name])).then(() => void live.delete(name)));
  return { name, shell, remove };
}

/** Removes users that earlier runs made and could not remove (their process is gone). */
export async function removeStaleUsers(): Promise<void> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const match = new RegExp(`^(${PREFIX}(\\d+)-[^:]*):`).exec(line);
    if (match === null || isAlive(Number(match[2]))) continue;
    await retryLocked(() => run('userdel', [match[1]!])).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** useradd and userdel fail at once when another one holds /etc/passwd's lock (parallel test files). */
async function retryLocked<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      if (attempt >= 20 || !/lock/i.test(stderr)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
