/** What the page-hold tests share: runbooks, a fleet to heal, firing alerts on Alertmanager peers. */
import { runId } from '../../src/ingest/run-id.ts';
import {
  peerAlerts,
  sendAlerts,
  startAlertmanagerCluster,
  startHumans,
  type Humans,
} from './alertmanager-cluster.ts';
import type { Daemon } from './daemon.ts';
import { freePort } from './ports.ts';
import { startRoutedHttp, type RoutedHttp } from './routed-http.ts';
import { startTestService, type TestService } from './service.ts';

/** People's route in the test cluster (FAST). */
export const GROUP_WAIT_S = 3;
export const GROUP_INTERVAL_S = 2;
const POLICY = "policy: { cooldown: 0s, maxRuns: 1000 per 1h, maxRunsPerTarget: 1000 per 1h, group: '' }";
const runbook = (name: string, alertname: string, steps: string) =>
  `name: ${name}\nmatch: ['alertname = "${alertname}"']\ntarget: api\n${POLICY}\nsteps:\n${steps}`;
export const RUNBOOKS = {
  'heal.yaml': runbook('heal', 'HoldHealed', '  - name: fix\n    http: { path: /fix }\n'),
  'fail.yaml': runbook('fail', 'HoldFailed', '  - name: fix\n    http: { path: /fail }\n'),
  // Only the alert whose instance is literally `.*`: the attacker's.
  'attack.yaml': `name: attack\nmatch: ['alertname = "HoldAttack"', 'instance = ".*"']\ntarget: api\n${POLICY}\nsteps:\n  - name: fix\n    http: { path: /fix }\n`,
  // Two alerts on one target: the second run waits for the lock, holding its page meanwhile.
  'queue.yaml': runbook('queue', 'HoldQueued', '  - name: fix\n    http: { path: /queue }\n'),
  'slow.yaml': runbook('slow', 'HoldSlow', '  - name: fix\n    http: { path: /slow, timeout: 2m }\n'),
  'ask.yaml': runbook(
    'ask',
    'HoldAsk',
    `  - name: gentle
    http: { path: /fix }
    verify: { http: { path: /health }, within: 1s }
  - name: restart
    approval: { always: true }
    http: { path: /fix }
`,
  ),
};

export const HOLD_ENV = {
  REMEDIATOR_PAGE_HOLD: 'true',
  // Short, so the tests see a lapse; the lock (renewed every fifth of its TTL) renews the hold.
  REMEDIATOR_PAGE_HOLD_LAPSE: '12s',
  REMEDIATOR_LOCK_TTL: '4s',
  REMEDIATOR_HONOUR_SILENCES: 'true',
  REMEDIATOR_PUBLIC_URL: 'https://remediator.example',
};

export async function startFleet(): Promise<RoutedHttp> {
  const fleet = await startRoutedHttp();
  fleet.route('POST', '/fix', { status: 200, body: 'ok' });
  // Longer than people's group_wait: without a hold they would be paged before the run ends.
  fleet.route('POST', '/fail', { status: 500, body: 'broken', delayMs: (GROUP_WAIT_S + 1) * 1000 });
  // Longer than the silence checker's cache (5 s): the waiting run's next pass sees its own hold.
  fleet.route('POST', '/queue', { status: 200, body: 'ok', delayMs: 6000 });
  fleet.route('POST', '/slow', { status: 200, body: 'ok', delayMs: 120_000 });
  fleet.route('GET', '/health', { status: 500, body: 'still sick' });
  return fleet;
}

/** Fires an alert on every peer (as Prometheus does); returns the run id remediator gives it. */
export async function fire(
  peers: readonly Daemon[],
  runbookName: string,
  labels: Record<string, string>,
): Promise<{ id: string; startsAt: string; labels: Record<string, string> }> {
  // Milliseconds with no trailing zero: Alertmanager's webhook writes times as Go does (trailing zeros
  // cut: .880 -> .88), and the run id is made of startsAt as the webhook says it.
  const now = Date.now();
  const startsAt = new Date(now - (now % 1000) - 877).toISOString();
  await sendAlerts(peers, [{ labels, startsAt }]);
  const alert = await until('the alert in Alertmanager', async () =>
    (await peerAlerts(peers[0]!)).find((a) => a.labels['instance'] === labels['instance']),
  );
  return { id: runId(runbookName, alert.fingerprint, startsAt), startsAt, labels };
}

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface HoldStack {
  readonly humans: Humans;
  readonly fleet: RoutedHttp;
  readonly cluster: Awaited<ReturnType<typeof startAlertmanagerCluster>>;
  readonly svc: TestService;
  stop(): Promise<void>;
}

/**
 * Two clustered Alertmanager peers routing to a remediator (holding pages, knowing both peers) and to
 * a recording "humans" receiver, with a fleet target `api` to heal.
 */
export async function startHoldStack(
  runbooks: Record<string, string>,
  env: Record<string, string> = {},
): Promise<HoldStack> {
  const [humans, fleet] = await Promise.all([startHumans(), startFleet()]);
  const port = await freePort();
  const cluster = await startAlertmanagerCluster(`http://127.0.0.1:${port}/hooks/alertmanager`, humans.url);
  const svc = await startTestService({
    runbooks,
    inventory: `targets:\n  api: { http: { baseUrl: "${fleet.baseUrl}" } }\n`,
    env: {
      ...HOLD_ENV,
      REMEDIATOR_PORT: String(port),
      REMEDIATOR_ALERTMANAGER_URL: cluster.peers.map((p) => p.url).join(','),
      ...env,
    },
  });
  return {
    humans,
    fleet,
    cluster,
    svc,
    async stop() {
      await svc.stop();
      await cluster.stop();
      await Promise.all([humans.stop(), fleet.stop()]);
    },
  };
}
