/**
 * Child processes of the chaos suite: each in its own process group, stdout and stderr appended to a
 * log file that stays where a developer can read it, ready when a probe says so. Anything still
 * running when the test process exits is killed with its group.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './wait.ts';

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Sends `signal` to the process itself (not its group). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL to the group after `killAfterMs`; resolves once it exited. Safe to call twice. */
  stop(killAfterMs?: number): Promise<void>;
}

export interface ProcSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Resolves true once the process serves, false or why not otherwise (the last reason goes into the
   * timeout's error); omitted = ready once spawned.
   */
  readonly ready?: () => Promise<boolean | string>;
  /** The TCP port it serves on: a timeout's error says which processes listen there. */
  readonly port?: number;
  /** @defaultValue 30000 */
  readonly readyTimeoutMs?: number;
}

const live = new Set<number>();
process.once('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

export async function startProc(spec: ProcSpec): Promise<Proc> {
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  await Promise.race([new Promise((resolve) => child.once('spawn', resolve)), spawnError]);
  const pid = child.pid ?? 0;
  if (pid === 0) throw new Error(`${spec.name}: cannot start ${spec.command}: ${(await spawnError).message}`);
  live.add(pid);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(pid);
      resolve({ code, signal });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  let stopping: Promise<void> | undefined;
  const proc: Proc = {
    name: spec.name,
    pid,
    logFile: spec.logFile,
    exited,
    alive,
    signal: (signal) => {
      if (alive()) child.kill(signal);
    },
    stop: (killAfterMs = 5000) =>
      (stopping ??= (async () => {
        if (alive()) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), killAfterMs);
          await exited;
          clearTimeout(timer);
        }
        killGroup(pid, 'SIGKILL'); // leftovers of the group, if any
      })()),
  };
  if (spec.ready === undefined) return proc;
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (!alive()) {
      const { code, signal } = await exited;
      throw new Error(
        `${spec.name} exited (${signal ?? `code ${code}`}) before it was ready:\n${tail(spec.logFile)}`,
      );
    }
    const answer = await spec.ready().catch((error: unknown) => String(error));
    if (answer === true) return proc;
    const why = answer === false ? 'probe said no' : answer;
    if (Date.now() > deadline) {
      // Who listens on the port, before stopping it: a readiness timeout once came with a log
      // saying the server was ready, and nothing else to go on.
      const listeners =
        spec.port === undefined ? '' : `\nlisteners on ${spec.port}:\n${listenersOn(spec.port)}`;
      await proc.stop();
      throw new Error(
        `${spec.name} (pid ${pid}) was not ready within ${spec.readyTimeoutMs ?? 30_000} ms; ` +
          `last probe: ${why}${listeners}\n${tail(spec.logFile)}`,
      );
    }
    await sleep(100);
  }
}

/** The last `lines` lines of a log file, or a note that there is none. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

/** `ss`'s lines for TCP sockets listening on `port`, with their processes; or why there are none. */
function listenersOn(port: number): string {
  const out = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8', timeout: 5000 });
  if (out.error !== undefined) return `(ss: ${out.error.message})`;
  return out.stdout.trim() || '(none)';
}

/** True when GET `url` answers 200 within a second; otherwise what it answered or why it did not. */
export async function probe200(url: string): Promise<true | string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const body = await response.text().catch(() => '');
    return response.status === 200 || `${response.status} ${body.slice(0, 200)}`;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return `${String(error)}${cause === undefined ? '' : ` (${String(cause)})`}`;
  }
}

/** True when GET `url` answers 200 within a second. */
export async function answers200(url: string): Promise<boolean> {
  return (await probe200(url)) === true;
}
