import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { downtimesSince, inject, instance } from '../harness/fleet-control.ts';
import { startRedisServer } from '../harness/redis-procs.ts';
import type { Remediator } from '../harness/remediator.ts';
import { streamRunbook, writeDemoRunbooks, writeRunbook } from '../harness/runbooks.ts';
import { allRuns, ENDED } from '../harness/runs.ts';
import type { Scenario, ScenarioContext } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { startStream, streamLog } from '../harness/stream.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { launch } from './common.ts';
import { mkdir } from 'node:fs/promises';

/** The stream runbook's `maxInFlight` in scenario 10. */
const STREAM_IN_FLIGHT = 3;

/** Runs each process started (its log's `run started` lines). */
export function startedBy(proc: Remediator): Set<string> {
  const ids = new Set<string>();
  for (const line of readFileSync(proc.proc.logFile, 'utf8').split('\n')) {
    if (!line.includes('"msg":"run started"')) continue;
    const id = /"runId":"([0-9a-f]+)"/.exec(line)?.[1];
    if (id) ids.add(id);
  }
  return ids;
}

/** One `serve` (the webhook) and two `worker` processes on `redisUrl`, the stream runbook beside the demo ones. */
export async function threeProcesses(
  ctx: ScenarioContext,
  redisUrl: string,
  env: Record<string, string> = {},
  stepSeconds = 0.3,
) {
  const runbooksDir = join(ctx.dir, 'runbooks');
  await mkdir(runbooksDir, { recursive: true });
  await writeDemoRunbooks(runbooksDir);
  const log = join(ctx.dir, 'stream.log');
  // A blast radius well below what three processes could run at once (3 x 4 slots), so it is tested.
  const policy = `{ cooldown: 0s, maxRuns: 10000 per 1h, maxRunsPerTarget: 10000 per 1h, maxInFlight: ${STREAM_IN_FLIGHT}, group: '' }`;
  await writeRunbook(runbooksDir, 'stream.yaml', streamRunbook(log, policy, stepSeconds));
  const settings = { REMEDIATOR_RATE_LIMIT: '100000 per 1h', REMEDIATOR_MAX_IN_FLIGHT: '50', ...env };
  const procs = [
    await launch(ctx, { name: 'remediator-serve', redisUrl, runbooksDir, env: settings }),
    await launch(ctx, { name: 'remediator-worker-1', mode: 'worker', redisUrl, runbooksDir, env: settings }),
    await launch(ctx, { name: 'remediator-worker-2', mode: 'worker', redisUrl, runbooksDir, env: settings }),
  ];
  return { procs, log };
}

/**
 * Three remediator processes on one Redis share the work: a stream of alerts and two instances of
 * one service failing at once. Every alert is acted on once, the stream runbook's blast radius holds
 * across processes, the service heals one instance at a time, and every process takes part.
 */
export const scaleOut: Scenario = {
  id: '10a-scale-out',
  title: '10a. Scale-out: one webhook and two worker-only processes on one Redis',
  timeoutMs: 240_000,
  async run(ctx) {
    const redis = await startRedisServer({ dir: ctx.dir });
    ctx.defer(() => redis.stop());
    const client = ctx.redis(redis.url);
    // Steps of 1.5 s: the cap must be reached for sure, not only when three SSH starts (each up to a few
    // hundred ms on a busy machine) happen to fall within one 0.3 s step.
    const { procs, log } = await threeProcesses(ctx, redis.url, {}, 1.5);
    const stream = startStream(ctx.stack, { scenario: '10a', count: 45, everyMs: 200 });
    ctx.defer(() => stream.resolveAll());
    const targets = [1, 2].map((n) => instance(ctx.stack, instanceName('payment-service', n)));
    const faultAt = Date.now();
    await Promise.all(targets.map((t) => inject(t, 'cpu-burn')));
    ctx.note(`stream of 45 alerts; cpu-burn on ${targets.map((t) => t.name).join(', ')}`);
    await stream.done;
    const runs = await until('every run of the stream and both restarts to end', 180_000, async () => {
      const all = await allRuns(client);
      const mine = all.filter(
        (r) =>
          r.alert.labels['scenario'] === '10a' ||
          (r.alert.labels['alertname'] === 'HighCpuUsage' && targets.some((t) => t.name === r.target)),
      );
      return mine.length === 47 && mine.every((r) => ENDED.has(r.status)) ? mine : undefined;
    });
    const streamRuns = runs.filter((r) => r.runbook === 'chaos-stream');
    const cpuRuns = runs.filter((r) => r.runbook === 'restart-cpu-burner');
    // Every alert once: one run each, succeeded, its step run exactly once.
    expect(streamRuns.map((r) => r.status)).toEqual(streamRuns.map(() => 'succeeded'));
    const { acted, maxConcurrent } = streamLog(log);
    expect([...acted.values()].every((n) => n === 1)).toBe(true);
    expect(acted.size).toBe(45);
    // The runbook's blast radius holds across the three processes, and was reached (bursts of alerts
    // arrive with each of Alertmanager's group flushes).
    expect(maxConcurrent).toBe(STREAM_IN_FLIGHT);
    ctx.note(`stream: at most ${maxConcurrent} steps at once`);
    // Progressive healing across processes: one instance of the service at a time.
    cpuRuns.sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    expect(cpuRuns.map((r) => [r.status, r.reason])).toEqual(cpuRuns.map(() => ['succeeded', 'verified']));
    for (let i = 1; i < cpuRuns.length; i++)
      expect(Date.parse(cpuRuns[i]!.steps[0]!.startedAt!)).toBeGreaterThanOrEqual(
        Date.parse(cpuRuns[i - 1]!.finishedAt!),
      );
    const downs = await Promise.all(targets.map((t) => downtimesSince(ctx.stack, t, faultAt)));
    const spans = downs.map((d) => d[0]!).sort((a, b) => a.from - b.from);
    expect(downs.every((d) => d.length === 1)).toBe(true);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.from).toBeGreaterThan(spans[i - 1]!.to!);
    // Each process took part.
    const shares = procs.map((p) => [...startedBy(p)].filter((id) => runs.some((r) => r.id === id)).length);
    ctx.note(`runs started per process: ${shares.join(', ')}`);
    expect(shares.every((n) => n > 0)).toBe(true);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(47);
    for (const run of cpuRuns)
      ctx.rows.push({
        ...rowFromRun('10a scale-out', run.target, faultAt, run),
        note: `runs per process ${shares.join('/')}, at most ${maxConcurrent} stream steps at once`,
      });
  },
};
