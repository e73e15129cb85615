/**
 * Child processes of `npm run demo`: each in its own process group (so a Ctrl-C in the terminal reaches
 * demo/run.ts alone, which then stops them in order), output appended to a log file, ready when a probe
 * says so, stopped with SIGTERM (SIGKILL to the group after 5 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface DemoProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL to its process group after `killAfterMs`; safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group, for the last-resort exit handler. */
  kill(): void;
}

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Resolves true once the process serves. */
  readonly ready: () => Promise<boolean>;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @defaultValue 30000 */
  readonly readyTimeoutMs?: number;
  /** @defaultValue 5000 */
  readonly killAfterMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startProcess(spec: ProcessSpec): Promise<DemoProcess> {
  const log = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const proc = handle(spec, child, exited);
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 30_000);
  for (;;) {
    const failure = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (failure !== undefined)
      throw new Error(`${spec.name}: cannot start ${spec.command}: ${failure.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${spec.name} exited (${child.signalCode ?? `code ${child.exitCode}`}):\n${tail(spec)}`,
      );
    }
    if (await spec.ready().catch(() => false)) return proc;
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(
        `${spec.name} was not ready within ${spec.readyTimeoutMs ?? 30_000} ms:\n${tail(spec)}`,
      );
    }
  }
}

function handle(spec: ProcessSpec, child: ChildProcess, exited: Promise<void>): DemoProcess {
  const pid = child.pid ?? 0;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    if (!alive()) return signalGroup('SIGKILL'); // leftovers of the group, if any
    child.kill('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), spec.killAfterMs ?? 5000);
    await exited;
    clearTimeout(timer);
    signalGroup('SIGKILL');
  };
  return {
    name: spec.name,
    pid,
    logFile: spec.logFile,
    stop: () => (stopping ??= stop()),
    kill: () => signalGroup('SIGKILL'),
  };
}

function tail(spec: ProcessSpec): string {
  try {
    return readFileSync(spec.logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no output)';
  }
}

/** True when GET url answers 200. */
export async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  if (response === undefined) return false;
  await response.body?.cancel();
  return response.status === 200;
}
