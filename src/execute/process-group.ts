import { spawn as nodeSpawn } from 'node:child_process';
import type { StepResult } from '../types.ts';
import { createCapture, renderOutput } from './output-capture.ts';

export interface GroupCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** What the program sees as argv[0] (the name the runbook wrote). @defaultValue file */
  readonly argv0?: string;
  /** The whole environment: nothing of remediator's own is added. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly stdin?: string;
  readonly timeoutMs: number;
}

/** How a program in its own process group ended, with its output's head and tail. */
export interface GroupOutcome {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly output: string;
  /** Why it was killed: 'timeout' or 'aborted'. */
  readonly killed?: 'timeout' | 'aborted';
  /** spawn's own error (ENOENT, EACCES): the program never ran. */
  readonly spawnError?: string;
}

/**
 * Spawns a program as the leader of a new process group (detached) and waits for it. At the
 * deadline, on abort, and also once the leader has exited, the whole group gets SIGKILL: children it
 * left behind (a backgrounded `sleep`, an ssh master) must not outlive the step. Only a child that
 * made itself a new session escapes, as it would from any supervisor but a cgroup.
 */
export function spawnGroup(
  cmd: GroupCommand,
  signal?: AbortSignal,
  spawn: typeof nodeSpawn = nodeSpawn,
  keepStdout = false,
): Promise<GroupOutcome> {
  return new Promise((resolve) => {
    const out = { stdout: createCapture(), stderr: createCapture() };
    const whole: Buffer[] = [];
    let killed: GroupOutcome['killed'];
    const child = spawn(cmd.file, [...cmd.args], {
      argv0: cmd.argv0 ?? cmd.file,
      env: { ...cmd.env },
      ...(cmd.cwd === undefined ? {} : { cwd: cmd.cwd }),
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is gone already
      }
    };
    const stop = (why: 'timeout' | 'aborted') => {
      killed ??= why;
      killGroup();
    };
    const timer = setTimeout(() => stop('timeout'), cmd.timeoutMs);
    const onAbort = () => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) stop('aborted');
    child.stdout.on('data', (chunk: Buffer) => {
      out.stdout.push(chunk);
      if (keepStdout) whole.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => out.stderr.push(chunk));
    child.stdin.on('error', () => {}); // EPIPE: a program that does not read stdin may exit first
    child.stdin.end(cmd.stdin ?? '');
    // Pipes a grandchild still holds would keep 'close' from coming: end the group when the leader exits.
    child.once('exit', killGroup);
    const finish = (outcome: Omit<GroupOutcome, 'output' | 'stdout'>) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({
        ...outcome,
        stdout: Buffer.concat(whole).toString('utf8'),
        output: renderOutput(out),
        ...(killed ? { killed } : {}),
      });
    };
    child.once('error', (err) => finish({ code: null, signal: null, spawnError: err.message }));
    child.once('close', (code, sig) => finish({ code, signal: sig }));
  });
}

/** Runs a program in its own group; the exit code decides. */
export async function runProcessGroup(
  cmd: GroupCommand,
  signal?: AbortSignal,
  spawn?: typeof nodeSpawn,
): Promise<StepResult> {
  const program = cmd.argv0 ?? cmd.file;
  const r = await spawnGroup(cmd, signal, spawn);
  return groupResult(program, cmd.timeoutMs, r);
}

export function groupResult(program: string, timeoutMs: number, r: GroupOutcome): StepResult {
  const fail = (errorCode: string, error: string): StepResult => ({
    ok: false,
    output: r.output,
    errorCode,
    error,
    ...(r.code === null ? {} : { exitCode: r.code }),
  });
  if (r.spawnError !== undefined) return fail('E_EXEC', `${program} could not be started: ${r.spawnError}`);
  if (r.killed === 'timeout') {
    return fail('E_TIMEOUT', `${program} ran past its ${timeoutMs} ms timeout; its process group was killed`);
  }
  if (r.killed === 'aborted')
    return fail('E_TIMEOUT', `${program} was stopped (the step was aborted); its process group was killed`);
  if (r.code === 0) return { ok: true, exitCode: 0, output: r.output };
  if (r.code !== null) return fail('E_EXIT', `${program} exited with code ${r.code}`);
  return fail('E_EXIT', `${program} was killed by ${r.signal ?? 'a signal'}`);
}
