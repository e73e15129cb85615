/**
 * OpenSSH's sshd for the demo, like test/harness/sshd.ts: generated host and client keys, loopback
 * port, the current user may log in with the client key only. Everything lives in `dir`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type DemoProcess } from './process.ts';

export interface DemoSshd {
  readonly process: DemoProcess;
  readonly port: number;
  readonly user: string;
  /** Private key (ed25519, no passphrase) that authorized_keys accepts. */
  readonly keyFile: string;
  /** `ssh-ed25519 AAAA...`, to pin in the inventory. */
  readonly hostKey: string;
}

const SSHD_CANDIDATES = ['/usr/sbin/sshd', '/usr/local/sbin/sshd', '/sbin/sshd'];
const run = promisify(execFile);

export async function startDemoSshd(dir: string, port: number, logFile: string): Promise<DemoSshd> {
  // sshd re-executes itself and so needs an absolute path.
  const sshd = SSHD_CANDIDATES.find((path) => existsSync(path));
  if (sshd === undefined) throw new Error(`no sshd in ${SSHD_CANDIDATES.join(', ')}: install openssh-server`);
  await mkdir(dir, { recursive: true });
  const hostKey = await generateKey(join(dir, 'ssh_host_ed25519_key'));
  const keyFile = join(dir, 'client_key');
  await generateKey(keyFile);
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${keyFile}.pub`));
  // Root's sshd insists on its privilege separation dir, which a fresh container may lack.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(dir, 'sshd_config');
  await writeFile(config, sshdConfig(dir, port));
  const started = await startProcess({
    name: 'sshd',
    command: sshd,
    args: ['-D', '-e', '-f', config],
    logFile,
    ready: async () => (await banner(port)).startsWith('SSH-2.0-'),
    readyTimeoutMs: 10_000,
  });
  return { process: started, port, user: userInfo().username, keyFile, hostKey };
}

/** Writes an ed25519 key pair without passphrase; returns the public key without its comment. */
async function generateKey(path: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path]);
  const [type, base64] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/);
  return `${type} ${base64}`;
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey "${join(dir, 'ssh_host_ed25519_key')}"`,
    `AuthorizedKeysFile "${join(dir, 'authorized_keys')}"`,
    `PidFile "${join(dir, 'sshd.pid')}"`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The temp dir and keys belong to the demo, not to the login user's home layout.
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'UseDNS no',
    '',
  ].join('\n');
}

/** The first line the server sends, or '' when the port refuses or stays silent. */
function banner(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const done = () => {
      socket.destroy();
      resolve(received);
    };
    socket.setTimeout(1000, done);
    socket.on('error', done);
    socket.on('close', done);
    socket.setEncoding('latin1').on('data', (text: string) => {
      received += text;
      if (received.includes('\n')) done();
    });
  });
}
