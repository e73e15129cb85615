import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * What a throwaway loopback sshd needs, shared by `npm run demo` and the test harness
 * (test/harness/sshd.ts): keys, its config, and a probe for its banner.
 */
const run = promisify(execFile);

/** Writes an ed25519 key pair without passphrase; returns the public key without its comment. */
export async function generateKey(path: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path]);
  const [type, base64] = (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/);
  return `${type} ${base64}`;
}

/**
 * sshd_config for a key-only server on 127.0.0.1 whose files all live in `dir`. `setEnv` becomes
 * a `SetEnv` line: variables every session gets, overriding sshd's default environment, PATH included
 * (sshd_config(5); test/integration/demo.test.ts relies on it: the runbooks call their commands by name).
 */
export function sshdConfig(dir: string, port: number, setEnv: Readonly<Record<string, string>> = {}): string {
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
    // The temp dir and keys belong to this run, not to the login user's home layout.
    'StrictModes no',
    // Tests and the demo may run as root (CI does); a key is the only way in.
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    'PrintMotd no',
    'UseDNS no',
    // Many clients connect at once; the default (10:30:100) would drop some of them during start-up.
    'MaxStartups 100',
    // One line: sshd honours only the first SetEnv line it reads.
    ...(Object.keys(setEnv).length === 0
      ? []
      : [`SetEnv ${Object.entries(setEnv).map(setEnvItem).join(' ')}`]),
    '',
  ].join('\n');
}

/** One `"NAME=VALUE"` of a SetEnv line: quoted, so a value may hold spaces; quotes cannot be escaped. */
function setEnvItem([name, value]: [string, string]): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`SetEnv: bad variable name ${name}`);
  if (/["\\\n\r]/.test(value))
    throw new Error(`SetEnv ${name}: the value must not hold quotes or line breaks`);
  return `"${name}=${value}"`;
}

/** The first line the server sends, or '' when the port refuses or stays silent. */
export function sshBanner(port: number): Promise<string> {
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
