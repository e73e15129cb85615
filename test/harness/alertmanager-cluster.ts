/**
 * Two real Alertmanager 0.25 peers gossiping as one cluster, routing every alert both to remediator
 * (short group_wait) and to a "humans" webhook receiver (longer group_wait) that records what it gets
 * and when: the layout of alertmanager/alertmanager.yml, with short timings.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAlertmanagerDaemon } from './alertmanager.ts';
import type { Daemon } from './daemon.ts';
import { freePort } from './ports.ts';

export interface HumanPage {
  /** When the humans receiver got it (ms since the epoch). */
  readonly at: number;
  readonly status: string;
  readonly alerts: Array<{ status: string; labels: Record<string, string> }>;
}

export interface Humans {
  readonly url: string;
  readonly pages: HumanPage[];
  /** Pages that carry a firing alert with this alertname. */
  firing(alertname: string): HumanPage[];
  stop(): Promise<void>;
}

/** A webhook receiver standing for the people on call. */
export async function startHumans(): Promise<Humans> {
  const pages: HumanPage[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      pages.push({ at: Date.now(), ...(JSON.parse(body) as Omit<HumanPage, 'at'>) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/page`,
    pages,
    firing: (alertname) =>
      pages.filter((p) => p.alerts.some((a) => a.status === 'firing' && a.labels['alertname'] === alertname)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ClusterTimings {
  /** remediator's route. */
  readonly remediatorGroupWait: string;
  /** People's route: must outlast remediator's hold latency. */
  readonly humansGroupWait: string;
  /** Both routes. */
  readonly groupInterval: string;
}

export const FAST: ClusterTimings = { remediatorGroupWait: '0s', humansGroupWait: '3s', groupInterval: '2s' };

export function clusterConfig(remediatorUrl: string, humansUrl: string, t: ClusterTimings): string {
  return `route:
  receiver: humans
  group_by: [alertname, instance]
  group_interval: ${t.groupInterval}
  repeat_interval: 1h
  routes:
    - receiver: remediator
      group_wait: ${t.remediatorGroupWait}
      continue: true
    - receiver: humans
      group_wait: ${t.humansGroupWait}
receivers:
  - name: remediator
    webhook_configs:
      - url: ${remediatorUrl}
        send_resolved: true
  - name: humans
    webhook_configs:
      - url: ${humansUrl}
        send_resolved: true
`;
}

/** Starts two clustered peers (each told of the other); `stop()` stops both. */
export async function startAlertmanagerCluster(
  remediatorUrl: string,
  humansUrl: string,
  timings: ClusterTimings = FAST,
): Promise<{ peers: [Daemon, Daemon]; stop(): Promise<void> }> {
  const gossip = [await freePort(), await freePort()];
  const config = clusterConfig(remediatorUrl, humansUrl, timings);
  const peer = (i: 0 | 1) =>
    startAlertmanagerDaemon(`alertmanager-peer${i}`, config, [
      `--cluster.listen-address=127.0.0.1:${gossip[i]}`,
      `--cluster.advertise-address=127.0.0.1:${gossip[i]}`,
      `--cluster.peer=127.0.0.1:${gossip[1 - i]}`,
      // The second peer waits this long for the first's notification before sending its own.
      '--cluster.peer-timeout=1s',
      '--cluster.gossip-interval=50ms',
      '--cluster.pushpull-interval=2s',
      // Both start at once: the first one's join may find the other not listening yet.
      '--cluster.reconnect-interval=500ms',
    ]);
  const peers = (await Promise.all([peer(0), peer(1)])) as [Daemon, Daemon];
  // A test must not start before gossip works: a silence made on one peer would stay there.
  const deadline = Date.now() + 20_000;
  for (const p of peers) {
    while (!(await clusterJoined(p))) {
      if (Date.now() > deadline) {
        await Promise.all(peers.map((d) => d.stop()));
        throw new Error(`Alertmanager peers did not form a cluster within 20 s (${p.url})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { peers, stop: async () => void (await Promise.all(peers.map((p) => p.stop()))) };
}

async function clusterJoined(peer: Daemon): Promise<boolean> {
  const res = await fetch(`${peer.url}/api/v2/status`).catch(() => undefined);
  if (!res?.ok) return false;
  const status = (await res.json()) as { cluster?: { status?: string; peers?: unknown[] } };
  return status.cluster?.status === 'ready' && (status.cluster.peers?.length ?? 0) === 2;
}

/** Posts alerts to every peer, as Prometheus does. `endsAt` set: resolved. */
export async function sendAlerts(
  peers: readonly Daemon[],
  alerts: Array<{ labels: Record<string, string>; startsAt: string; endsAt?: string }>,
): Promise<void> {
  for (const peer of peers) {
    const res = await fetch(`${peer.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!res.ok)
      throw new Error(`${peer.url}: POST /api/v2/alerts answered ${res.status}: ${await res.text()}`);
  }
}

/** The active silences a peer knows, with their creator and comment. */
export async function activeSilences(
  peer: Daemon,
): Promise<Array<{ id: string; createdBy: string; comment: string; matchers: unknown[] }>> {
  const res = await fetch(`${peer.url}/api/v2/silences`);
  const all = (await res.json()) as Array<{
    id: string;
    createdBy: string;
    comment: string;
    matchers: unknown[];
    status: { state: string };
  }>;
  return all.filter((s) => s.status.state === 'active');
}

/** The alerts a peer has, with what silences them. */
export async function peerAlerts(peer: Daemon): Promise<
  Array<{
    fingerprint: string;
    labels: Record<string, string>;
    status: { state: string; silencedBy: string[] };
  }>
> {
  const res = await fetch(`${peer.url}/api/v2/alerts`);
  return (await res.json()) as Awaited<ReturnType<typeof peerAlerts>>;
}
