/**
 * A real OpenSSH server for integration tests: its own temp dir, keys, config and loopback port, so
 * tests run in parallel and on a fresh CI machine with nothing but openssh-server installed.
 */
import { findOwnProcesses } from './leaks/scan.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from './daemon.ts';
import { freePort } from './ports.ts';
import { generateKey, sshBanner as banner, sshdConfig } from '../../demo/stack/sshd-parts.ts';

export interface Sshd {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** The user running the tests; sshd can only log in as that user when it is not root. */
  readonly user: string;
  /** Private key (ed25519, no passphrase) that authorized_keys accepts. */
  readonly keyFile: string;
  /** The server's host key as `ssh-ed25519 AAAA...`, ready to pin. */
  readonly hostKey: string;
  /** A known_hosts file with one `[127.0.0.1]:port` line for hostKey. */
  readonly knownHostsFile: string;
  /** Temp dir holding everything; removed by stop(). Tests may create files here. */
  readonly dir: string;
  /** Stops sshd and removes dir; safe to call twice. */
  stop(): Promise<void>;
}

const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/sbin/sshd'];
const READY_TIMEOUT_MS = 10_000;
const STDERR_KEEP_CHARS = 8192;

/** sshd processes and dirs still alive, so a test that forgets stop() leaves nothing behind. */
const live = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startSshd(): Promise<Sshd> {
  // sshd re-executes itself and so needs an absolute path.
  const sshd = SSHD_CANDIDATES.find((path) => existsSync(path));
  if (sshd === undefined) throw new Error(`no sshd in ${SSHD_CANDIDATES.join(', ')}: install openssh-server`);
  const dir = await mkdtemp(join(tmpdir(), 'remediator-sshd-'));
  let child: ChildProcess | undefined;
  try {
    const user = userInfo().username;
    const hostKey = await generateKey(join(dir, 'ssh_host_ed25519_key'));
    await generateKey(join(dir, 'client_key'));
    await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
    await ensurePrivsepDir();
    const started = await listen(sshd, dir);
    const { port } = started;
    child = started.child;
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostKey}\n`);
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= stopChild(started.child)
        .then(() => killCommandsIn(dir))
        .then(() => rm(dir, { recursive: true, force: true })));
    return {
      port,
      host: '127.0.0.1',
      user,
      keyFile: join(dir, 'client_key'),
      hostKey,
      knownHostsFile,
      dir,
      stop,
    };
  } catch (err) {
    if (child !== undefined) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A fresh `ssh-ed25519 AAAA...` public key that no server holds, for host key mismatch tests. */
export function randomHostKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const blob = Buffer.concat([lengthPrefixed(Buffer.from('ssh-ed25519')), lengthPrefixed(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')}`;
}

function lengthPrefixed(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/** Root's sshd insists on its privilege separation dir, which a fresh container may lack. */
async function ensurePrivsepDir(): Promise<void> {
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
}

/**
 * Starts sshd on a free port. The port can be taken between freePort() and sshd's bind, so a bind
 * failure is retried on another port.
 */
async function listen(sshd: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(config, sshdConfig(dir, port));
    await rm(join(dir, 'sshd.pid'), { force: true });
    const child = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    live.set(child, dir);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    try {
      await waitReady(child, dir, port, () => stderr);
      return { child, port };
    } catch (err) {
      await stopChild(child);
      if (attempt < 3 && /Address already in use|Cannot bind/.test(stderr)) continue;
      throw err;
    }
  }
}

/**
 * Ready means sshd wrote its pid file (it does so after binding) and the port answers with an SSH
 * banner: the pid file proves the listener is ours, the banner that it accepts connections.
 */
async function waitReady(
  child: ChildProcess,
  dir: string,
  port: number,
  stderr: () => string,
): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      reject(new Error(`sshd exited (${signal ?? `code ${code}`}) before it was ready:\n${stderr()}`));
    });
    child.once('error', (err) => reject(new Error(`cannot start sshd: ${err.message}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const poll = async () => {
    // Stops once sshd has exited too, so a failed attempt does not keep polling behind a retry.
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      const pid = await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => '');
      if (pid.trim() === String(child.pid) && (await banner(port)).startsWith('SSH-2.0-')) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
  };
  await Promise.race([poll(), exited]);
}

async function stopChild(child: ChildProcess): Promise<void> {
  live.delete(child);
  await stopProcess(child);
}

/**
 * Commands a test ran over this sshd that name its directory (a step cut off mid-run: the remote
 * `sleep` goes on after its channel closed, and stopping sshd's listener does not end sessions).
 */
async function killCommandsIn(dir: string): Promise<void> {
  for (const { pid } of await findOwnProcesses(dir, { exclude: (p) => p === process.pid }))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
}
