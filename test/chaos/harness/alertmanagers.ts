/**
 * Two Alertmanagers clustered with each other, as a HA pair runs: each gossips (memberlist, TCP and
 * UDP) through a relay the suite controls, so `partition()` leaves both running but unable to reach
 * each other, and `heal()` lets them find each other again.
 */
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../harness/ports.ts';
import { sampleSum } from './metrics.ts';
import { startGossipRelay, type GossipRelay } from './gossip-relay.ts';
import { probe200, startProc, type Proc } from './proc.ts';
import { until } from './wait.ts';

const BINARIES = ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager', '/usr/local/bin/alertmanager'];

export interface Alertmanager {
  readonly name: string;
  readonly url: string;
  readonly proc: Proc;
}

export interface AlertmanagerPair {
  readonly a: Alertmanager;
  readonly b: Alertmanager;
  /** Cuts gossip both ways and waits until each peer sees itself alone. */
  partition(): Promise<void>;
  /** Lets gossip through again and waits until each sees the other. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

/** Members of the cluster as `url` sees them (itself included). */
export async function clusterSize(url: string): Promise<number> {
  const status = (await (await fetch(`${url}/api/v2/status`)).json()) as { cluster?: { peers?: unknown[] } };
  return status.cluster?.peers?.length ?? 0;
}

/** Webhook notifications one instance sent (successfully or not) and those that failed. */
export async function webhookNotifications(url: string): Promise<{ sent: number; failed: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    sent: sampleSum(text, 'alertmanager_notifications_total', { integration: 'webhook' }),
    failed: sampleSum(text, 'alertmanager_notifications_failed_total', { integration: 'webhook' }),
  };
}

export async function startAlertmanagerPair(dir: string, config: string): Promise<AlertmanagerPair> {
  const binary = BINARIES.find(existsSyncSafe);
  if (binary === undefined)
    throw new Error(`no alertmanager in ${BINARIES.join(', ')}: install prometheus-alertmanager`);
  await mkdir(dir, { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, config);
  const names = ['a', 'b'] as const;
  const ports = {
    web: { a: await freePort(), b: await freePort() },
    gossip: { a: await freePort(), b: await freePort() },
    relay: { a: await freePort(), b: await freePort() },
  };
  const relays: Record<'a' | 'b', GossipRelay> = {
    a: await startGossipRelay(ports.relay.a, ports.gossip.a),
    b: await startGossipRelay(ports.relay.b, ports.gossip.b),
  };
  const start = async (name: 'a' | 'b'): Promise<Alertmanager> => {
    const other = name === 'a' ? 'b' : 'a';
    const url = `http://127.0.0.1:${ports.web[name]}`;
    const proc = await startProc({
      name: `alertmanager-${name}`,
      command: binary,
      args: [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, `data-${name}`)}`,
        `--web.listen-address=127.0.0.1:${ports.web[name]}`,
        `--web.external-url=${url}`,
        `--cluster.listen-address=127.0.0.1:${ports.gossip[name]}`,
        // Peers reach each other through the relays, which is what partition() cuts.
        `--cluster.advertise-address=127.0.0.1:${ports.relay[name]}`,
        `--cluster.peer=127.0.0.1:${ports.relay[other]}`,
        // The second peer waits this long for the first one's notification log before sending itself
        // (15 s by default; the suite's alerts live on a seconds scale).
        '--cluster.peer-timeout=3s',
        '--cluster.settle-timeout=10s',
        '--cluster.reconnect-interval=2s',
        '--log.level=debug',
      ],
      logFile: join(dir, `alertmanager-${name}.log`),
      ready: () => probe200(`${url}/-/ready`),
      port: ports.web[name],
    });
    return { name: `alertmanager-${name}`, url, proc };
  };
  const [a, b] = (await Promise.all(names.map(start))) as [Alertmanager, Alertmanager];
  const sizes = async (n: number) => (await clusterSize(a.url)) === n && (await clusterSize(b.url)) === n;
  await until('the two Alertmanagers to form a cluster', 30_000, () => sizes(2));
  return {
    a,
    b,
    async partition() {
      relays.a.block();
      relays.b.block();
      await until('each Alertmanager to see itself alone', 30_000, () => sizes(1));
    },
    async heal() {
      relays.a.unblock();
      relays.b.unblock();
      await until('the Alertmanagers to find each other again', 30_000, () => sizes(2));
    },
    async stop() {
      await Promise.all([a.proc.stop(), b.proc.stop()]);
      await Promise.all([relays.a.close(), relays.b.close()]);
    },
  };
}

function existsSyncSafe(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
