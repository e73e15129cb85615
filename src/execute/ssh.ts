/**
 * Runs one rendered ssh step on one host and reports a StepResult. Step failures (refused host key,
 * failed login, non-zero exit, timeout) are results, never exceptions: the worker records them and
 * moves on. Only a programming error (an invalid timeout, a bad config object) throws.
 */
import { AssertionError } from 'node:assert';
import type { EventEmitter } from 'node:events';
import { readFile as fsReadFile } from 'node:fs/promises';
import type { NodeSSH } from 'node-ssh';
import { errorMessage, RemediatorError } from '../errors.ts';
import type { SshTarget, StepResult } from '../types.ts';
import type { Executors, SshAction } from './executor.ts';
import { createCapture, renderOutput, type Capture } from './output-capture.ts';
import { hostKeyAlgorithms, hostKeyPolicy, verifyHostKey, type HostKeyVerdict } from './host-key.ts';
import { joinArgv } from './shell-quote.ts';

export interface SshExecutorDeps {
  /**
   * Reads the private key and known_hosts files, at every run, so a rotated key takes effect at once
   * and the key lives only as long as the connection.
   * @defaultValue `fs.readFile(path, 'utf8')`
   */
  readonly readFile?: (path: string) => Promise<string>;
}

export type SshExecutor = Executors['ssh'];

/** The parts of ssh2's Client and ClientChannel used here (ssh2 ships no types). */
interface ExecClient extends EventEmitter {
  exec(command: string, callback: (err: Error | undefined, channel: ExecChannel) => void): boolean;
}
interface ExecChannel extends EventEmitter {
  readonly stderr: EventEmitter;
  end(data?: string): void;
}

interface ExitStatus {
  code: number | null;
  signal: string | null;
}

// node-ssh is loaded at the first ssh step, not at start: its ssh2 allocates ~17 MB for its crypto,
// which an idle service, or one whose runbooks only make HTTP calls, does not need.
let nodeSsh: Promise<typeof import('node-ssh')> | undefined;
const loadNodeSsh = () => (nodeSsh ??= import('node-ssh'));

export function createSshExecutor(deps: SshExecutorDeps = {}): SshExecutor {
  const readFile = deps.readFile ?? ((path: string) => fsReadFile(path, 'utf8'));

  async function run(target: SshTarget, action: SshAction, signal?: AbortSignal): Promise<StepResult> {
    if (!Number.isFinite(action.timeoutMs) || action.timeoutMs <= 0) {
      throw new RangeError(`ssh step timeoutMs must be a positive number, got ${action.timeoutMs}`);
    }
    let command: string;
    try {
      command = joinArgv(action.argv);
    } catch (err) {
      return failed(err instanceof RemediatorError ? err.code : 'E_UNSAFE_ARG', errorMessage(err), '');
    }
    if (signal?.aborted) {
      return failed('E_TIMEOUT', `the step was aborted (${reasonOf(signal)}) before it started`, '');
    }

    // One deadline covers reading the files, connecting and running; a shutdown signal ends it early.
    const stop = AbortSignal.any([AbortSignal.timeout(action.timeoutMs), ...(signal ? [signal] : [])]);
    const output = { stdout: createCapture(), stderr: createCapture() };
    const ssh = new (await loadNodeSsh()).NodeSSH();
    let verdict: HostKeyVerdict | undefined;
    try {
      const config = await race(
        connectConfig(target, action, (v) => (verdict = v)),
        stop,
      );
      const connecting = ssh.connect(config);
      // node-ssh drops its 'error' listener once connected, and an 'error' nobody hears (a reset after
      // a timeout closed the connection) would crash the process; this one lives as long as the client.
      clientOf(ssh)?.on('error', () => {});
      await race(connecting, stop);
      const status = await race(execute(clientOf(ssh), command, action.stdin, output), stop);
      return exitResult(action.argv[0] ?? '', status, renderOutput(output));
    } catch (err) {
      if (err instanceof AssertionError) throw err;
      return failure(err, { target, action, signal, stop, verdict, output: renderOutput(output) });
    } finally {
      ssh.dispose();
    }
  }

  /** Reads the key and known_hosts now, so neither outlives this one connection. */
  async function connectConfig(target: SshTarget, action: SshAction, onVerdict: (v: HostKeyVerdict) => void) {
    const { host, port, knownHostsFile } = target;
    const unchecked = 'the known_hosts file, so the host key cannot be checked';
    const knownHosts = knownHostsFile && (await readOr(knownHostsFile, 'E_HOST_KEY', unchecked));
    const policy = hostKeyPolicy({ host, port, pinned: target.hostKeys, knownHosts });
    const serverHostKey = hostKeyAlgorithms(policy);
    return {
      host,
      port,
      username: target.user,
      privateKey: await readOr(target.keyFile, 'E_SSH', 'the private key file'),
      readyTimeout: action.timeoutMs,
      ...(serverHostKey === undefined ? {} : { algorithms: { serverHostKey } }),
      hostVerifier: (offered: Buffer): boolean => {
        const verdict = verifyHostKey(policy, offered);
        onVerdict(verdict);
        return verdict.ok;
      },
    };
  }

  async function readOr(path: string, code: 'E_SSH' | 'E_HOST_KEY', what: string): Promise<string> {
    try {
      return await readFile(path);
    } catch (err) {
      throw new RemediatorError(code, `cannot read ${what}: ${errorMessage(err)}`, { cause: err });
    }
  }

  return { run };
}

/** Settles like `work`, or rejects as soon as `stop` aborts. */
function race<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  const stopped = new Promise<never>((_, reject) => {
    if (stop.aborted) reject(stop.reason);
    stop.addEventListener('abort', () => reject(stop.reason), { once: true });
  });
  return Promise.race([work, stopped]);
}

function reasonOf(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
}

function clientOf(ssh: NodeSSH): ExecClient | null {
  return ssh.connection as ExecClient | null;
}

/** Runs the command on an open connection; resolves when the channel closes. */
function execute(
  client: ExecClient | null,
  command: string,
  stdin: string | undefined,
  output: { stdout: Capture; stderr: Capture },
): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    if (client === null) return reject(new Error('the connection closed right after login'));
    client.on('error', reject);
    client.once('close', () => reject(new Error('the connection closed before the command finished')));
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      const status: ExitStatus = { code: null, signal: null };
      channel.on('data', (chunk: Buffer) => output.stdout.push(chunk));
      channel.stderr.on('data', (chunk: Buffer) => output.stderr.push(chunk));
      channel.on('exit', (code: number | null, signal?: string) => {
        status.code = code;
        status.signal = signal ?? null;
      });
      channel.on('close', () => resolve(status));
      // Ending stdin at once lets commands that read it (cat, sh -s) finish instead of waiting.
      channel.end(stdin);
    });
  });
}

function exitResult(program: string, status: ExitStatus, output: string): StepResult {
  const { code, signal } = status;
  if (code === 0) return { ok: true, exitCode: 0, output };
  if (code !== null) {
    return { ...failed('E_EXIT', `${program} exited with code ${code}`, output), exitCode: code };
  }
  if (signal !== null) return failed('E_EXIT', `${program} was killed by ${signal}`, output);
  return failed('E_SSH', `the server closed the channel of ${program} without an exit status`, output);
}

/** Names why a step that did not reach an exit status failed; the deadline outranks what it caused. */
function failure(
  err: unknown,
  context: {
    target: SshTarget;
    action: SshAction;
    signal: AbortSignal | undefined;
    stop: AbortSignal;
    verdict: HostKeyVerdict | undefined;
    output: string;
  },
): StepResult {
  const { target, action, signal, stop, verdict, output } = context;
  const left = `the connection was closed and the command may still be running on ${target.host}`;
  if (signal?.aborted && stop.reason === signal.reason) {
    return failed('E_TIMEOUT', `the step was aborted (${reasonOf(signal)}); ${left}`, output);
  }
  if (stop.aborted) {
    return failed(
      'E_TIMEOUT',
      `the step ran past its ${action.timeoutMs} ms timeout (connect + run); ${left}`,
      output,
    );
  }
  if (verdict?.ok === false) return failed('E_HOST_KEY', verdict.message, output);
  if (err instanceof RemediatorError) return failed(err.code, err.message, output);
  return connectionFailure(target, err, output);
}

function connectionFailure(target: SshTarget, err: unknown, output: string): StepResult {
  const level = (err as { level?: unknown } | null)?.level;
  const where = `${target.user}@${target.host} port ${target.port}`;
  if (level === 'client-timeout') return failed('E_TIMEOUT', `ssh ${where}: ${errorMessage(err)}`, output);
  const hint =
    level === 'client-authentication'
      ? `; check that the public half of ${target.keyFile} is in ${target.user}'s authorized_keys`
      : level === 'client-socket'
        ? '; check the host, the port and that sshd is running'
        : '';
  return failed('E_SSH', `ssh ${where}: ${errorMessage(err)}${hint}`, output);
}

function failed(errorCode: string, error: string, output: string): StepResult {
  return { ok: false, output, errorCode, error };
}
