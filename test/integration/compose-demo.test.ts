import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_HAPROXY_CFG, composeHaproxyConfig } from '../../demo/compose/haproxy-config.ts';
import { loadFleet } from '../../demo/fleet.ts';
import { sshBanner } from '../../demo/stack/sshd-parts.ts';
import { hostKeyPolicy, verifyHostKey } from '../../src/execute/host-key.ts';
import { createSshExecutor } from '../../src/execute/ssh.ts';
import { stopProcess } from '../harness/daemon.ts';
import { freePort } from '../harness/ports.ts';

/**
 * The demo fleet's parts of docker-compose.yml that can run without Docker: the key script and the
 * sshd config with a real OpenSSH sshd and remediator's own SSH client, HAProxy's config, Prometheus'
 * scrape targets, and what the image needs. Building the image and starting containers is not tested.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
let dir: string;
let sshd: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remediator-compose-demo-'));
});
afterAll(async () => {
  if (sshd) await stopProcess(sshd);
  await rm(dir, { recursive: true, force: true });
});

const blobOf = (publicKeyLine: string) => Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');

describe('demo/compose/make-keys.sh (service demo-keys)', () => {
  it('writes host and client keys, authorized_keys and the known_hosts inventory.yaml trusts', async () => {
    const [host, client, socketDir] = ['host', 'client', 'haproxy'].map((name) => join(dir, name));
    const { stdout } = await run(join(ROOT, 'demo/compose/make-keys.sh'), [host!, client!, socketDir!]);
    expect(stdout).toMatch(/^demo keys ready/);
    const clientPub = await readFile(join(client!, 'id_ed25519.pub'), 'utf8');
    expect(await readFile(join(host!, 'authorized_keys'), 'utf8')).toBe(clientPub);
    expect(statSync(join(host!, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(client!, 'id_ed25519')).mode & 0o777).toBe(0o600);
    if (isRoot) {
      // remediator's image runs as node (1000); HAProxy and the fleet as remediator (10001).
      expect(statSync(join(client!, 'id_ed25519')).uid).toBe(1000);
      expect(statSync(socketDir!).uid).toBe(10001);
    }
    // inventory.yaml: ssh to 127.0.0.1 port 2222 with knownHosts data/demo/known_hosts.
    const knownHosts = await readFile(join(client!, 'known_hosts'), 'utf8');
    const hostPub = await readFile(join(host!, 'ssh_host_ed25519_key.pub'), 'utf8');
    const policy = hostKeyPolicy({ host: '127.0.0.1', port: 2222, pinned: [], knownHosts });
    expect(verifyHostKey(policy, blobOf(hostPub))).toEqual({ ok: true });
    expect(verifyHostKey(policy, blobOf(clientPub)).ok).toBe(false);
  });

  it('keeps the keys on a second run', async () => {
    const [host, client] = ['host', 'client'].map((name) => join(dir, name));
    const before = await readFile(join(host!, 'ssh_host_ed25519_key'), 'utf8');
    const clientBefore = await readFile(join(client!, 'id_ed25519'), 'utf8');
    await run(join(ROOT, 'demo/compose/make-keys.sh'), [host!, client!]);
    expect(await readFile(join(host!, 'ssh_host_ed25519_key'), 'utf8')).toBe(before);
    expect(await readFile(join(client!, 'id_ed25519'), 'utf8')).toBe(clientBefore);
  });
});

describe('demo/compose/sshd_config (service fleet)', () => {
  /**
   * The file as committed, with what only exists in the container swapped for this test's: the port
   * (2222 may be taken here), the key files' directory, the pid file, and the login user (the tests'
   * user, root in CI, rather than remediator).
   */
  async function testConfig(port: number): Promise<string> {
    const user = userInfo().username;
    const swaps: Array<[RegExp, string]> = [
      [/^Port 2222$/m, `Port ${port}`],
      [/^HostKey \/etc\/demo-ssh\//m, `HostKey ${dir}/host/`],
      [/^AuthorizedKeysFile \/etc\/demo-ssh\//m, `AuthorizedKeysFile ${dir}/host/`],
      [/^PidFile .*$/m, `PidFile ${dir}/sshd.pid`],
      [/^AllowUsers remediator$/m, `AllowUsers ${user}`],
      [/^PermitRootLogin no$/m, `PermitRootLogin ${user === 'root' ? 'prohibit-password' : 'no'}`],
    ];
    let text = await readFile(join(ROOT, 'demo/compose/sshd_config'), 'utf8');
    for (const [pattern, replacement] of swaps) {
      expect(text).toMatch(pattern);
      text = text.replace(pattern, replacement);
    }
    return text;
  }

  it('lets the client key in and gives sessions DEMO_STATE_DIR and HAPROXY_SOCKET', async () => {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(config, await testConfig(port));
    await run('/usr/sbin/sshd', ['-t', '-f', config]);
    sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await sshBanner(port)).startsWith('SSH-2.0-')) {
      if (Date.now() > deadline) throw new Error('sshd did not answer within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await createSshExecutor().run(
      {
        host: '127.0.0.1',
        port,
        user: userInfo().username,
        keyFile: join(dir, 'client', 'id_ed25519'),
        hostKeys: [readFileSync(join(dir, 'host', 'ssh_host_ed25519_key.pub'), 'utf8').trim()],
      },
      { kind: 'ssh', argv: ['printenv', 'DEMO_STATE_DIR', 'HAPROXY_SOCKET'], timeoutMs: 10_000 },
    );
    expect(result).toEqual({
      ok: true,
      exitCode: 0,
      output: 'stdout:\n/run/demo\n/run/haproxy/admin.sock\n',
    });
  });
});

describe('the rest of the compose demo', () => {
  it('HAProxy: demo/compose/haproxy.cfg is the template rendered for fleet.yaml, and haproxy -c accepts it', async () => {
    expect(await readFile(COMPOSE_HAPROXY_CFG, 'utf8')).toBe(await composeHaproxyConfig());
    const { stdout } = await run('haproxy', ['-c', '-f', COMPOSE_HAPROXY_CFG]);
    expect(stdout).toContain('Configuration file is valid');
  });

  it('Prometheus scrapes every fleet instance with the labels the runbooks use', async () => {
    const config = parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{
        job_name: string;
        static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
      }>;
    };
    const job = config.scrape_configs.find((item) => item.job_name === 'demo');
    const fleet = await loadFleet(join(ROOT, 'demo/fleet.yaml'));
    // The fleet listens in remediator's network namespace, hence the host name.
    expect(job?.static_configs).toEqual(
      fleet.map((item) => ({
        targets: [`remediator:${item.port}`],
        labels: { instance: item.name, service: item.service },
      })),
    );
  });

  it('the fleet image: the scripts compose and the image run are executable', () => {
    for (const script of [
      'demo/compose/make-keys.sh',
      'demo/compose/fleet-entrypoint.sh',
      'demo/bin/demo-restart',
    ]) {
      expect({ script, executable: (statSync(join(ROOT, script)).mode & 0o111) !== 0 }).toEqual({
        script,
        executable: true,
      });
    }
    // The image copies demo/ to /app/demo.
    const dockerfile = readFileSync(join(ROOT, 'demo/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/^COPY demo \.\/demo$/m);
    expect(dockerfile).toContain('CMD ["/app/demo/compose/fleet-entrypoint.sh"]');
  });
});
