/**
 * Starts a real server binary (Prometheus, Alertmanager, ...) for tests: its own temp dir and a free
 * loopback port, ready when `readyPath` answers 200, stopped (and its dir removed) by stop() or when
 * the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { stopProcess } from '../../demo/stack/stop.ts';

export interface Daemon {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the process and removes its temp dir; safe to call twice. */
  stop(): Promise<void>;
}

export interface DaemonSpec {
  /** Name for messages and the temp dir, e.g. `prometheus`. */
  readonly name: string;
  /** Where the binary may be; the first that exists is used. */
  readonly binaries: readonly string[];
  /** The Debian package that provides it, for the error message. */
  readonly debianPackage: string;
  /** Files to write into the temp dir before start: name -> content. */
  readonly files: Readonly<Record<string, string>>;
  readonly args: (port: number, dir: string) => string[];
  /** Runs once in the temp dir, after the files are written and before the binary starts. */
  readonly prepare?: (dir: string) => Promise<void>;
  /** @defaultValue /-/ready */
  readonly readyPath?: string;
  /** @defaultValue 20000 */
  readonly readyTimeoutMs?: number;
}

const STDERR_KEEP_CHARS = 8192;
const live = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const binary = spec.binaries.find((path) => existsSync(path));
  if (binary === undefined) {
    throw new Error(
      `no ${spec.name} in ${spec.binaries.join(', ')}: install the ${spec.debianPackage} package`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), `remediator-${spec.name}-`));
  try {
    for (const [name, content] of Object.entries(spec.files)) await writeFile(join(dir, name), content);
    await spec.prepare?.(dir);
    // The port can be taken between freePort() and the bind: a bind failure is retried on another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawn(binary, spec.args(port, dir), { stdio: ['ignore', 'ignore', 'pipe'] });
      live.set(child, dir);
      let stderr = '';
      child.stderr
        ?.setEncoding('utf8')
        .on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEEP_CHARS)));
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitReady(spec, child, url + (spec.readyPath ?? '/-/ready'), () => stderr);
      } catch (err) {
        await stopChild(child);
        if (attempt < 3 && /address already in use/i.test(stderr)) continue;
        throw err;
      }
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= stopChild(child).then(() => rm(dir, { recursive: true, force: true })));
      return { url, port, dir, stop };
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function waitReady(
  spec: DaemonSpec,
  child: ChildProcess,
  readyUrl: string,
  stderr: () => string,
): Promise<void> {
  const timeoutMs = spec.readyTimeoutMs ?? 20_000;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${spec.name} exited (${signal ?? `code ${code}`}) before it was ready:\n${stderr()}`),
      ),
    );
    child.once('error', (err) => reject(new Error(`cannot start ${spec.name}: ${err.message}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + timeoutMs;
  const poll = async () => {
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      const status = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.body?.cancel().then(() => response.status) ?? response.status,
        () => 0,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${spec.name} was not ready on ${readyUrl} within ${timeoutMs} ms:\n${stderr()}`);
  };
  await Promise.race([poll(), exited]);
}

async function stopChild(child: ChildProcess): Promise<void> {
  live.delete(child);
  await stopProcess(child);
}

// The demo's own (demo/stack/stop.ts): SIGTERM, then SIGKILL after 5 s.
export { stopProcess };
