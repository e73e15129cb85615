/**
 * OpenSSH's sshd for the demo, like test/harness/sshd.ts: generated host and client keys, loopback
 * port, the current user may log in with the client key only. Everything lives in `dir`. Sessions get
 * `setEnv` (sshd's SetEnv): the demo host's PATH and where its state lives, which is how the runbooks'
 * commands (`demo-restart`, `haproxy-cmd`) are found by name.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startProcess, type DemoProcess } from './process.ts';
import { generateKey, sshBanner as banner, sshdConfig } from './sshd-parts.ts';

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

export async function startDemoSshd(
  dir: string,
  port: number,
  logFile: string,
  setEnv: Readonly<Record<string, string>> = {},
): Promise<DemoSshd> {
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
  await writeFile(config, sshdConfig(dir, port, setEnv));
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
