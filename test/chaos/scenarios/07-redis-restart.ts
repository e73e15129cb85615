import { join } from 'node:path';
import { expect } from 'vitest';
import { payload } from '../../harness/payloads.ts';
import { inject, instance } from '../harness/fleet-control.ts';
import { streamRunbook, writeRunbook } from '../harness/runbooks.ts';
import { allRuns, endedRun, ENDED, getRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { startStream, streamLog } from '../harness/stream.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { sleep, until } from '../harness/wait.ts';
import { startBasics } from './common.ts';

/**
 * Redis is killed (SIGKILL) in the middle of a stream of alerts and started again 8 s later on its
 * append-only file. Meanwhile the webhook answers 503 and Alertmanager retries; afterwards every
 * alert has exactly one run, nothing Redis had acknowledged is missing, and the same remediator
 * process resumes on its own.
 */
export const redisRestart: Scenario = {
  id: '07-redis-restart',
  title: '7. Redis restarts under a stream of alerts',
  timeoutMs: 240_000,
  async run(ctx) {
    const log = join(ctx.dir, 'stream.log');
    const { redis, remediator } = await startBasics(ctx, {
      env: { REMEDIATOR_RATE_LIMIT: '100000 per 1h', REMEDIATOR_MAX_IN_FLIGHT: '50' },
      extra: (dir) => writeRunbook(dir, 'stream.yaml', streamRunbook(log)),
    });
    const client = ctx.redis(redis.url);
    const stream = startStream(ctx.stack, { scenario: '07', count: 80, everyMs: 300 });
    ctx.defer(() => stream.resolveAll());
    await sleep(7000);
    // What Redis holds just before it dies: all of it was acknowledged to the writers.
    const before = (await allRuns(client)).map((r) => r.id);
    ctx.note(`${before.length} runs stored before the kill`);
    await redis.kill();
    const killedAt = Date.now();
    ctx.note('redis killed (SIGKILL)');
    // A fault while Redis is away: its alert cannot be stored until Redis is back.
    const target = instance(ctx.stack, instanceName('payment-service', 1));
    const faultAt = await inject(target, 'cpu-burn');
    await sleep(1500);
    // The webhook itself, asked while Redis is away, with an alert a runbook matches.
    const probe = await fetch(`${ctx.stack.remediatorUrl}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.stack.token}` },
      body: JSON.stringify(
        payload([
          { labels: { alertname: 'ChaosStream', scenario: 'probe', seq: '0', instance: target.name } },
        ]),
      ),
    });
    await probe.body?.cancel();
    expect(probe.status).toBe(503);
    await sleep(6500);
    await redis.restart();
    const backAt = Date.now();
    ctx.note(`redis started again after ${backAt - killedAt} ms`);
    // Alertmanager met 503s in the outage (so it retries).
    const refused = ctx.stack.tap.deliveries.filter(
      (d) => d.at > killedAt && d.at < backAt && d.status === 503,
    );
    expect(refused.length).toBeGreaterThan(0);

    await stream.done;
    const runs = await until('a run for every streamed alert, all ended', 150_000, async () => {
      const all = (await allRuns(client)).filter((r) => r.alert.labels['scenario'] === '07');
      const seqs = new Set(all.map((r) => r.alert.labels['seq']));
      return seqs.size === stream.alerts.length && all.every((r) => ENDED.has(r.status)) ? all : undefined;
    });
    // Exactly one run per alert, and each acted on at most once (once for every run that succeeded).
    expect(runs).toHaveLength(stream.alerts.length);
    const { acted } = streamLog(log);
    const actedWrong = runs.filter((r) => {
      const times = acted.get(Number(r.alert.labels['seq'])) ?? 0;
      return r.status === 'succeeded' ? times !== 1 : times > 1;
    });
    expect(
      actedWrong.map((r) => [r.alert.labels['seq'], r.status, acted.get(Number(r.alert.labels['seq']))]),
    ).toEqual([]);
    const outcomes = runs.reduce<Record<string, number>>(
      (m, r) => ({ ...m, [`${r.status}:${r.reason}`]: (m[`${r.status}:${r.reason}`] ?? 0) + 1 }),
      {},
    );
    ctx.note(`stream outcomes: ${JSON.stringify(outcomes)}`);
    // Runs in flight when Redis died may end unknown (their step's outcome could not be recorded);
    // nothing else may fail.
    for (const r of runs)
      expect(['succeeded:ok', 'unknown:E_INTERRUPTED', 'unknown:lock_lost']).toContain(
        `${r.status}:${r.reason}`,
      );
    // Nothing acknowledged lost: every run stored before the kill is still there.
    for (const id of before) expect(await getRun(client, id), id).toBeDefined();
    // The same process went on by itself.
    expect(remediator.proc.alive()).toBe(true);
    const resumed = runs
      .map((r) => Date.parse(r.finishedAt ?? ''))
      .filter((t) => t > backAt)
      .sort((a, b) => a - b)[0];
    expect(resumed).toBeDefined();
    ctx.note(`first run finished ${resumed! - backAt} ms after Redis came back`);
    expect(resumed! - backAt).toBeLessThan(30_000);
    const cpuRun = await endedRun(
      client,
      `the HighCpuUsage run for ${target.name}`,
      90_000,
      (r) => r.alert.labels['instance'] === target.name && r.alert.labels['alertname'] === 'HighCpuUsage',
    );
    expect(cpuRun).toMatchObject({ status: 'succeeded', reason: 'verified' });
    const unknown = runs.filter((r) => r.status === 'unknown').length;
    ctx.rows.push({
      ...rowFromRun('7 Redis restart', 'fault during the outage', faultAt, cpuRun),
      note: `${runs.length}/${stream.alerts.length} alerts run once (${unknown} unknown: lock lost), ${refused.length} answers 503, resumed ${resumed! - backAt} ms after Redis`,
    });
  },
};
