/**
 * The stack every chaos scenario shares, on loopback and free ports, every process's output and
 * config under test-artifacts/chaos/stack/: the demo fleet (supervisor), OpenSSH's sshd, HAProxy
 * with its runtime API, Prometheus evaluating the project's alert-rules/, two clustered
 * Alertmanagers (the project's alertmanager.yml) delivering to remediator's fixed webhook port, and a
 * receiver for escalations. Scenarios bring their own Redis and remediator processes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FleetInstance } from '../../../demo/fleet.ts';
import { renderHaproxyConfigFile } from '../../../demo/haproxy.ts';
import type { ServiceName } from '../../../demo/server.ts';
import { alertmanagerConfig, sessionEnv } from '../../../demo/stack/configs.ts';
import { runtimeCommand } from '../../../demo/stack/haproxy-socket.ts';
import { startDemoSshd } from '../../../demo/stack/sshd.ts';
import { freePort } from '../../harness/ports.ts';
import { startRoutedHttp, type RoutedHttp } from '../../harness/routed-http.ts';
import { startAlertmanagerPair, type AlertmanagerPair } from './alertmanagers.ts';
import { ROOT } from './paths.ts';
import { inventoryYaml, prometheusYaml } from './stack-configs.ts';
import { startWiretap, type Wiretap } from './wiretap.ts';
import { answers200, probe200, startProc, type Proc } from './proc.ts';

export interface ChaosStack {
  readonly dir: string;
  /** Where the fleet's instances keep pid files (and `instances`, name -> number). */
  readonly stateDir: string;
  readonly fleet: readonly FleetInstance[];
  /** The port the scenario's webhook-serving remediator listens on (behind the wiretap). */
  readonly remediatorPort: number;
  readonly remediatorUrl: string;
  /** Every notification Alertmanager sent to remediator's webhook, with remediator's answer. */
  readonly tap: Wiretap;
  /** The bearer token Alertmanager sends (REMEDIATOR_WEBHOOK_TOKEN_FILE). */
  readonly tokenFile: string;
  readonly token: string;
  readonly inventoryFile: string;
  readonly prometheusUrl: string;
  readonly alertmanagers: AlertmanagerPair;
  readonly haproxy: { readonly socketPath: string; command(line: string): Promise<string> };
  readonly sshd: {
    readonly port: number;
    readonly user: string;
    readonly keyFile: string;
    readonly hostKey: string;
  };
  /** Records every escalation remediator sends (POST /escalate). */
  readonly pager: RoutedHttp;
  /** Alertmanager's "humans" receiver (POST /humans): every notification that would page people. */
  readonly humans: RoutedHttp;
  readonly pagerUrl: string;
  /** Every log file of the stack's processes. */
  readonly logFiles: () => string[];
  stop(): Promise<void>;
}

/** Three instances of each demo service; scenarios pick theirs by name. */
const SERVICES: readonly ServiceName[] = ['user-service', 'order-service', 'payment-service'];
const PER_SERVICE = 3;

/** `user-1:8080`: what Prometheus' `instance` label, HAProxy's server and the inventory call it. */
export function instanceName(service: ServiceName, n: number): string {
  return `${service.replace(/-service$/, '')}-${n}:8080`;
}

export async function startChaosStack(dir: string): Promise<ChaosStack> {
  const procs: Proc[] = [];
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne().catch(() => undefined);
  };
  try {
    return await build(dir, procs, stoppers, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function build(
  dir: string,
  procs: Proc[],
  stoppers: Array<() => Promise<unknown>>,
  stop: () => Promise<void>,
): Promise<ChaosStack> {
  const stateDir = join(dir, 'run');
  await mkdir(stateDir, { recursive: true });
  // Alertmanager and Prometheus talk to the wiretap, which relays to remediator's own port.
  const remediatorPort = await freePort();
  const tapPort = await freePort();
  const tap = await startWiretap(tapPort, remediatorPort);
  stoppers.push(() => tap.close());
  const remember = (proc: Proc) => {
    procs.push(proc);
    stoppers.push(() => proc.stop());
    return proc;
  };

  const fleet: FleetInstance[] = [];
  for (const service of SERVICES) {
    for (let n = 1; n <= PER_SERVICE; n++)
      fleet.push({ service, instance: n, port: await freePort(), name: instanceName(service, n) });
  }
  const fleetFile = join(dir, 'fleet.yaml');
  await writeFile(fleetFile, stringify(fleet.map((item) => ({ ...item }))));
  remember(
    await startProc({
      name: 'fleet',
      command: process.execPath,
      args: [join(ROOT, 'demo/supervisor.ts'), fleetFile, '--state-dir', stateDir],
      cwd: ROOT,
      logFile: join(dir, 'fleet.log'),
      ready: async () =>
        (await Promise.all(fleet.map((i) => answers200(`http://127.0.0.1:${i.port}/healthz`)))).every(
          Boolean,
        ),
      readyTimeoutMs: 60_000,
    }),
  );

  const socketPath = join(dir, 'haproxy.sock');
  // The demo host's sessions: its PATH (demo-restart, haproxy-cmd), state dir and HAProxy socket.
  const sshd = await startDemoSshd(
    join(dir, 'sshd'),
    await freePort(),
    join(dir, 'sshd.log'),
    sessionEnv(stateDir, socketPath),
  );
  stoppers.push(() => sshd.process.stop());
  // Started by the demo's own helper, which leaves last-resort cleanup to its caller.
  process.once('exit', () => sshd.process.kill());

  const haproxyCfg = join(dir, 'haproxy.cfg');
  await writeFile(
    haproxyCfg,
    await renderHaproxyConfigFile({
      fleet,
      frontendPort: await freePort(),
      socketPath,
      checkIntervalMs: 500,
    }),
  );
  remember(
    await startProc({
      name: 'haproxy',
      command: 'haproxy',
      args: ['-db', '-f', haproxyCfg],
      logFile: join(dir, 'haproxy.log'),
      ready: async () => (await runtimeCommand(socketPath, 'show info')).includes('Name: HAProxy'),
    }),
  );

  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'webhook-token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const inventoryFile = join(dir, 'inventory.yaml');
  await writeFile(inventoryFile, inventoryYaml(fleet, sshd));

  const pager = await startRoutedHttp();
  pager.route('POST', '/escalate', { status: 200, body: 'ok' });
  stoppers.push(() => pager.stop());
  const humans = await startRoutedHttp();
  humans.route('POST', '/humans', { status: 200, body: 'ok' });
  stoppers.push(() => humans.stop());

  const alertmanagers = await startAlertmanagerPair(
    join(dir, 'alertmanager'),
    await alertmanagerConfig(tapPort, tokenFile, `${humans.baseUrl}/humans`),
  );
  stoppers.push(() => alertmanagers.stop());

  const prometheusPort = await freePort();
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const promDir = join(dir, 'prometheus');
  await mkdir(promDir, { recursive: true });
  const promConfig = join(promDir, 'prometheus.yml');
  await writeFile(promConfig, prometheusYaml(fleet, [alertmanagers.a.url, alertmanagers.b.url], tapPort));
  remember(
    await startProc({
      name: 'prometheus',
      command: '/usr/bin/prometheus',
      args: [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        `--web.external-url=${prometheusUrl}`,
        // Firing alerts are sent again every second (1 m by default), so a restarted Alertmanager
        // or a healed partition learns them at once.
        '--rules.alert.resend-delay=1s',
        '--log.level=info',
      ],
      logFile: join(dir, 'prometheus.log'),
      ready: () => probe200(`${prometheusUrl}/-/ready`),
      port: prometheusPort,
    }),
  );

  return {
    dir,
    stateDir,
    fleet,
    remediatorPort,
    remediatorUrl: `http://127.0.0.1:${remediatorPort}`,
    tap,
    tokenFile,
    token,
    inventoryFile,
    prometheusUrl,
    alertmanagers,
    haproxy: { socketPath, command: (line) => runtimeCommand(socketPath, line) },
    sshd,
    pager,
    humans,
    pagerUrl: `${pager.baseUrl}/escalate`,
    logFiles: () => [
      ...procs.map((p) => p.logFile),
      sshd.process.logFile,
      alertmanagers.a.proc.logFile,
      alertmanagers.b.proc.logFile,
    ],
    stop,
  };
}
