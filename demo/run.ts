/**
 * `npm run demo`: the whole loop on one machine, on loopback and free ports, all state under one temp
 * dir: redis-server, the demo fleet (supervisor), sshd, HAProxy, Prometheus, Alertmanager and
 * remediator with the runbooks of runbooks/, unchanged. Ctrl-C or SIGTERM stops everything and removes
 * the temp dir (`--keep` leaves it, with every log, for a look afterwards).
 *
 * When ready it prints the URLs, the four faults to try with what heals them (demo/stack/ready.ts), and
 * one line `DEMO_READY {json}` for tests. It uses the usual ports (fleet.yaml's, 9787, 9090, 9093, 8080)
 * where they are free; `--random-ports` takes free ones throughout (to run beside another demo).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from '../src/redis/free-port.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from '../src/redis/embedded.ts';
import { loadFleet, type FleetInstance } from './fleet.ts';
import { renderHaproxyConfigFile } from './haproxy.ts';
import {
  alertmanagerConfig,
  inventory,
  prometheusConfig,
  ROOT,
  sessionEnv,
  type Ports,
} from './stack/configs.ts';
import { runtimeCommand } from './stack/haproxy-socket.ts';
import { preferredPort } from './stack/ports.ts';
import { answers200, startProcess, type DemoProcess } from './stack/process.ts';
import { readyLine, readyText, type ReadyInfo } from './stack/ready.ts';
import { startDemoSshd } from './stack/sshd.ts';

interface Stack {
  readonly dir: string;
  redis?: EmbeddedRedis;
  readonly processes: DemoProcess[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      'random-ports': { type: 'boolean', default: false },
    },
  });
  const stack: Stack = { dir: await mkdtemp(join(tmpdir(), 'remediator-demo-')), processes: [] };
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      process.stdout.write('demo: stopping...\n');
      await shutdown(stack, values.keep ?? false);
      process.stdout.write('demo: stopped\n');
      process.exit(code);
    })());
  // on(), not once(): a second Ctrl-C (or `timeout`, which signals the child and then its group) must
  // not kill the demo half-way through stopping and leave its children behind.
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  // Last resort (an exception, process.exit elsewhere): nothing may outlive the demo.
  process.once('exit', () => stack.processes.forEach((proc) => proc.kill()));
  try {
    await start(stack, values['random-ports'] ?? false);
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`demo: logs are in ${join(stack.dir, 'logs')} until it stops\n`);
    await stop(1);
  }
}

async function start(stack: Stack, randomPorts: boolean): Promise<void> {
  const { dir, processes } = stack;
  const logs = join(dir, 'logs');
  const stateDir = join(dir, 'run');
  await mkdir(logs, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  // The usual ports when they are free (so the README's commands work as printed), else free ones.
  const ports: Ports = {
    remediator: await preferredPort(9787, randomPorts),
    prometheus: await preferredPort(9090, randomPorts),
    alertmanager: await preferredPort(9093, randomPorts),
    haproxy: await preferredPort(8080, randomPorts),
    sshd: await freePort(),
  };
  const say = (text: string) => process.stdout.write(`demo: ${text}\n`);
  say(`state in ${dir}`);

  stack.redis = await startEmbeddedRedis({ dataDir: join(dir, 'redis') });
  say(`redis-server on 127.0.0.1:${stack.redis.port} (password in ${join(dir, 'redis', 'redis.password')})`);

  const fleet = await fleetOnPorts(randomPorts);
  const fleetFile = join(dir, 'fleet.yaml');
  await writeFile(fleetFile, stringify(fleet.map((item) => ({ ...item }))));
  processes.push(
    await startProcess({
      name: 'fleet',
      command: process.execPath,
      args: [join(ROOT, 'demo/supervisor.ts'), fleetFile, '--state-dir', stateDir],
      cwd: ROOT,
      logFile: join(logs, 'fleet.log'),
      ready: async () =>
        (await Promise.all(fleet.map((item) => answers200(`http://127.0.0.1:${item.port}/healthz`)))).every(
          Boolean,
        ),
    }),
  );
  say(`fleet of ${fleet.length} instances up`);

  const haproxyDir = join(dir, 'haproxy');
  await mkdir(haproxyDir);
  const socketPath = join(haproxyDir, 'admin.sock');

  const sshdLog = join(logs, 'sshd.log');
  const sshd = await startDemoSshd(join(dir, 'sshd'), ports.sshd, sshdLog, sessionEnv(stateDir, socketPath));
  processes.push(sshd.process);
  say(`sshd on 127.0.0.1:${ports.sshd} (user ${sshd.user}, key ${sshd.keyFile})`);
  const haproxyCfg = join(haproxyDir, 'haproxy.cfg');
  await writeFile(
    haproxyCfg,
    await renderHaproxyConfigFile({ fleet, frontendPort: ports.haproxy, socketPath }),
  );
  processes.push(
    await startProcess({
      name: 'haproxy',
      command: 'haproxy',
      args: ['-db', '-f', haproxyCfg],
      logFile: join(logs, 'haproxy.log'),
      ready: async () => (await runtimeCommand(socketPath, 'show info')).includes('Name: HAProxy'),
    }),
  );
  say(`haproxy on 127.0.0.1:${ports.haproxy}, admin socket ${socketPath}`);

  const tokenFile = join(dir, 'webhook-token');
  await writeFile(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  const inventoryFile = join(dir, 'inventory.yaml');
  await writeFile(inventoryFile, inventory(fleet, sshd));
  const runbooksDir = join(ROOT, 'runbooks');
  const remediatorUrl = `http://127.0.0.1:${ports.remediator}`;
  const prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
  const alertmanagerUrl = `http://127.0.0.1:${ports.alertmanager}`;
  processes.push(
    await startProcess({
      name: 'remediator',
      command: process.execPath,
      args: [join(ROOT, 'bin/remediator.js'), 'serve'],
      cwd: ROOT,
      env: remediatorEnv({
        REDIS_URL: stack.redis.url,
        REMEDIATOR_PORT: String(ports.remediator),
        REMEDIATOR_RUNBOOKS_DIR: runbooksDir,
        REMEDIATOR_INVENTORY: inventoryFile,
        REMEDIATOR_WEBHOOK_TOKEN_FILE: tokenFile,
        REMEDIATOR_PROMETHEUS_URL: prometheusUrl,
        REMEDIATOR_ALERTMANAGER_URL: alertmanagerUrl,
        REMEDIATOR_DATA_DIR: join(dir, 'remediator'),
        REMEDIATOR_PUBLIC_URL: remediatorUrl,
        REMEDIATOR_SHUTDOWN_GRACE: '3s',
      }),
      logFile: join(logs, 'remediator.log'),
      ready: () => answers200(`${remediatorUrl}/readyz`),
    }),
  );
  say(`remediator on ${remediatorUrl}`);

  const amDir = join(dir, 'alertmanager');
  await mkdir(amDir);
  await writeFile(join(amDir, 'alertmanager.yml'), await alertmanagerConfig(ports.remediator, tokenFile));
  processes.push(
    await startProcess({
      name: 'alertmanager',
      command: '/usr/bin/prometheus-alertmanager',
      args: [
        `--config.file=${join(amDir, 'alertmanager.yml')}`,
        `--storage.path=${join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
        `--web.external-url=${alertmanagerUrl}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      logFile: join(logs, 'alertmanager.log'),
      ready: () => answers200(`${alertmanagerUrl}/-/ready`),
    }),
  );
  say(`alertmanager on ${alertmanagerUrl}`);

  const promDir = join(dir, 'prometheus');
  await mkdir(promDir);
  await writeFile(join(promDir, 'prometheus.yml'), prometheusConfig(fleet, ports));
  processes.push(
    await startProcess({
      name: 'prometheus',
      command: '/usr/bin/prometheus',
      args: [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${ports.prometheus}`,
        `--web.external-url=${prometheusUrl}`,
        '--rules.alert.resend-delay=2s',
        '--log.level=warn',
      ],
      logFile: join(logs, 'prometheus.log'),
      ready: () => answers200(`${prometheusUrl}/-/ready`),
    }),
  );
  say(`prometheus on ${prometheusUrl}`);

  const info: ReadyInfo = {
    dir,
    urls: {
      remediator: remediatorUrl,
      docs: `${remediatorUrl}/docs`,
      prometheus: prometheusUrl,
      alertmanager: alertmanagerUrl,
      haproxy: `http://127.0.0.1:${ports.haproxy}`,
    },
    fleet,
    haproxySocket: socketPath,
    pids: { redis: stack.redis.pid, ...Object.fromEntries(processes.map((proc) => [proc.name, proc.pid])) },
  };
  process.stdout.write(readyText(info));
  process.stdout.write(readyLine(info));
}

/** fleet.yaml, each instance on its own port when free, else on a free one; names (inventory names) stay. */
async function fleetOnPorts(randomPorts: boolean): Promise<FleetInstance[]> {
  const fleet = await loadFleet(join(ROOT, 'demo/fleet.yaml'));
  const moved: FleetInstance[] = [];
  for (const item of fleet) moved.push({ ...item, port: await preferredPort(item.port, randomPorts) });
  return moved;
}

/** The parent's environment without its REMEDIATOR_* settings (an unknown one stops start-up). */
function remediatorEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  // eslint-disable-next-line no-restricted-properties -- the demo's composition root passes PATH, HOME, ...
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('REMEDIATOR_') && name !== 'REDIS_URL',
  );
  return { ...Object.fromEntries(inherited), ...settings };
}

/** Newest first: remediator before what it talks to, Redis last. */
async function shutdown(stack: Stack, keep: boolean): Promise<void> {
  for (const proc of [...stack.processes].reverse()) {
    await proc.stop().catch(() => {});
  }
  await stack.redis?.stop().catch(() => {});
  if (!keep) await rm(stack.dir, { recursive: true, force: true });
  else process.stdout.write(`demo: kept ${stack.dir}\n`);
}

void main();
