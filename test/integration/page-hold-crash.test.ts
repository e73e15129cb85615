import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/types.ts';
import {
  activeSilences,
  sendAlerts,
  startAlertmanagerCluster,
  startHumans,
  type Humans,
} from '../harness/alertmanager-cluster.ts';
import { childEnv } from '../harness/child-env.ts';
import {
  fire,
  GROUP_INTERVAL_S,
  GROUP_WAIT_S,
  HOLD_ENV,
  RUNBOOKS,
  startFleet,
  until,
} from '../harness/page-hold-fixtures.ts';
import { freePort } from '../harness/ports.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import type { RoutedHttp } from '../harness/routed-http.ts';
import { startTestService } from '../harness/service.ts';

/**
 * The page hold when things break: Alertmanager's API out of reach (fail-open) and every remediator
 * process killed mid-run (the hold lapses). Two real clustered Alertmanager 0.25 peers, as in
 * page-hold.test.ts; remediator listens on one port, taken in turn by each test's process.
 */
const LAPSE_S = 12;
const MARGIN_S = 3;
const ROOT = new URL('../../', import.meta.url).pathname;

let humans: Humans;
let fleet: RoutedHttp;
let port: number;
let cluster: Awaited<ReturnType<typeof startAlertmanagerCluster>>;

beforeAll(async () => {
  [humans, fleet] = await Promise.all([startHumans(), startFleet()]);
  port = await freePort();
  cluster = await startAlertmanagerCluster(`http://127.0.0.1:${port}/hooks/alertmanager`, humans.url);
});

afterAll(async () => {
  await cluster?.stop();
  await Promise.all([humans?.stop(), fleet?.stop()]);
});

const inventory = () => `targets:\n  api: { http: { baseUrl: "${fleet.baseUrl}" } }\n`;

describe('page hold: Alertmanager API out of reach', () => {
  it('still heals, holds nothing, and people are paged as usual', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const svc = await startTestService({
      runbooks: RUNBOOKS,
      inventory: inventory(),
      env: { ...HOLD_ENV, REMEDIATOR_PORT: String(port), REMEDIATOR_ALERTMANAGER_URL: dead },
    });
    try {
      const firedAt = Date.now();
      const alert = await fire(cluster.peers, 'heal', {
        alertname: 'HoldHealed',
        instance: `d-${Date.now()}`,
      });
      const run = await svc.waitForRun(alert.id);
      expect(run).toMatchObject({ status: 'succeeded', pageHold: { state: 'unavailable' } });
      expect(run.pageHold!.events[0]).toMatchObject({ type: 'hold:failed' });
      expect(run.pageHold!.events[0]!.why).toContain('create: no Alertmanager peer answered');
      const page = await until('people paged', async () =>
        humans.pages.find((p) => p.alerts.some((a) => a.labels['instance'] === alert.labels['instance'])),
      );
      expect((page.at - firedAt) / 1000).toBeLessThanOrEqual(GROUP_WAIT_S + GROUP_INTERVAL_S + MARGIN_S);
      const metrics = await (await svc.get('/metrics')).text();
      expect(metrics).toContain('remediator_page_hold_errors_total{op="create"} 1');
      expect(svc.logs()).toContain('page hold: create failed (fail-open: people are paged as usual)');
    } finally {
      await svc.stop();
    }
  }, 40_000);
});

describe('page hold: remediator killed mid-run', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'remediator-hold-'));
    await mkdir(join(dir, 'runbooks'));
    for (const [name, text] of Object.entries(RUNBOOKS)) await writeFile(join(dir, 'runbooks', name), text);
    await writeFile(join(dir, 'inventory.yaml'), inventory());
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets the hold lapse: people are paged within the lapse bound plus one group_interval of the kill', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/remediator.js'), 'serve'], {
      cwd: dir,
      env: childEnv({
        ...HOLD_ENV,
        REDIS_URL: redis.url,
        REMEDIATOR_PORT: String(port),
        REMEDIATOR_ALERTMANAGER_URL: cluster.peers.map((p) => p.url).join(','),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until(
        'remediator ready',
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      const alert = await fire(cluster.peers, 'slow', { alertname: 'HoldSlow', instance: `k-${Date.now()}` });
      await until('the step running', async () => fleet.requests.some((r) => r.url === '/slow'));
      const held = await until('the hold', async () =>
        (await activeSilences(cluster.peers[1])).find((s) => s.comment.includes(alert.id)),
      );
      // Past people's group_wait and past the lapse bound: only renewals keep it held. Then every process dies.
      await new Promise((r) => setTimeout(r, (LAPSE_S + 2) * 1000));
      expect(humans.firing('HoldSlow')).toEqual([]);
      const run = (await (
        await fetch(`http://127.0.0.1:${port}/api/v1/runs/${alert.id}`)
      ).json()) as RunRecord;
      expect(run.pageHold).toMatchObject({ state: 'held', silenceId: held.id });
      expect(run.pageHold!.events.map((e) => e.type)).toEqual(['hold:created', 'hold:renewed']);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await exited;
      const page = await until(
        'people paged',
        async () => humans.firing('HoldSlow')[0],
        (LAPSE_S + 10) * 1000,
      );
      const afterS = (page.at - killedAt) / 1000;
      console.log(
        `page hold: people paged ${afterS.toFixed(2)} s after remediator was killed (lapse ${LAPSE_S} s)`,
      );
      expect(afterS).toBeLessThanOrEqual(LAPSE_S + GROUP_INTERVAL_S + MARGIN_S);
      await sendAlerts(cluster.peers, [
        { labels: alert.labels, startsAt: alert.startsAt, endsAt: new Date().toISOString() },
      ]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 70_000);
});
