/**
 * A real HAProxy for tests: its own temp dir, config rendered from demo/haproxy.cfg.template, a free
 * loopback frontend port and an admin socket reached with node:net (no socat needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetInstance } from '../../demo/fleet.ts';
import { renderHaproxyConfigFile } from '../../demo/haproxy.ts';
import { stopProcess } from './daemon.ts';
import { freePort } from './ports.ts';
import { runtimeCommand } from '../../demo/stack/haproxy-socket.ts';

export interface TestHaproxy {
  /** `http://127.0.0.1:PORT` of the frontend. */
  readonly url: string;
  readonly socketPath: string;
  /** Sends one runtime API command; resolves with HAProxy's whole answer. */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

const BINARIES = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'];
const READY_TIMEOUT_MS = 10_000;
const live = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startHaproxy(
  fleet: readonly FleetInstance[],
  checkIntervalMs = 300,
): Promise<TestHaproxy> {
  const binary = BINARIES.find((path) => existsSync(path));
  if (binary === undefined)
    throw new Error(`no haproxy in ${BINARIES.join(', ')}: install the haproxy package`);
  const dir = await mkdtemp(join(tmpdir(), 'remediator-haproxy-'));
  const socketPath = join(dir, 'admin.sock');
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  await writeFile(
    config,
    await renderHaproxyConfigFile({ fleet, frontendPort: port, socketPath, checkIntervalMs }),
  );
  const child = spawn(binary, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.set(child, dir);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-8192)));
  const command = (line: string) => runtimeCommand(socketPath, line);
  const stop = async () => {
    live.delete(child);
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited (code ${child.exitCode}):\n${stderr}`);
    }
    const info = await command('show info').catch(() => '');
    if (info.includes('Name: HAProxy')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy's socket did not answer within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}`, socketPath, command, stop };
}

// The runtime API client is the demo's own (demo/stack/haproxy-socket.ts).
export { runtimeCommand };
