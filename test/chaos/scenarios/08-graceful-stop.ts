import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { inject, instance } from '../harness/fleet-control.ts';
import { DEMO, restartRunbook, writeRunbook } from '../harness/runbooks.ts';
import { allRuns, endedRun, getRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { launch, startBasics } from './common.ts';

function lines(file: string, word: string): number {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l === word).length
    : 0;
}

/**
 * SIGTERM while a step runs (a restart that takes 5 s) and a second run waits behind it: the step
 * finishes and is verified, the waiting run is not started, the process exits 0; the next process
 * takes the waiting run.
 */
export const gracefulStop: Scenario = {
  id: '08-graceful-stop',
  title: '8. Graceful stop: SIGTERM during a step',
  timeoutMs: 240_000,
  async run(ctx) {
    const markers = join(ctx.dir, 'markers');
    const { stack } = ctx;
    const env = { REMEDIATOR_CONCURRENCY: '1', REMEDIATOR_SHUTDOWN_GRACE: '45s' };
    const { redis, runbooksDir, remediator } = await startBasics(ctx, {
      omitDemo: [DEMO.cpu],
      env,
      extra: (dir) =>
        writeRunbook(
          dir,
          'slow.yaml',
          restartRunbook({
            name: 'chaos-slow-restart',
            alertname: 'HighCpuUsage',
            service: 'order-service',
            markers,
            sleepSeconds: 5,
            idempotent: false,
          }),
        ),
    });
    const client = ctx.redis(redis.url);
    const targets = [1, 2].map((n) => instance(stack, instanceName('order-service', n)));
    const marker = (name: string) => join(markers, name.replace(':', '_'));
    const faultAt = Date.now();
    await Promise.all(targets.map((t) => inject(t, 'cpu-burn')));
    ctx.note(`cpu-burn on ${targets.map((t) => t.name).join(', ')}`);
    const [first, second] = await until('one step running and the other run waiting', 60_000, async () => {
      const runs = (await allRuns(client)).filter((r) => r.runbook === 'chaos-slow-restart');
      const running = runs.find((r) => r.status === 'running' && lines(marker(r.target), 'start') === 1);
      const queued = runs.find((r) => r.status === 'queued');
      return running && queued ? [running, queued] : undefined;
    });
    const stopAt = Date.now();
    remediator.proc.signal('SIGTERM');
    ctx.note(`SIGTERM to remediator while ${first.target} restarts; ${second.target} waits`);
    const exit = await remediator.proc.exited;
    ctx.note(`remediator exited ${JSON.stringify(exit)} after ${Date.now() - stopAt} ms`);
    expect(exit).toEqual({ code: 0, signal: null });

    // The step it was in finished and was verified before the process left.
    const done = await getRun(client, first.id);
    expect(done).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(lines(marker(first.target), 'end')).toBe(1);
    // No new work was taken: the waiting run is still queued, its step never started.
    expect(await getRun(client, second.id)).toMatchObject({ status: 'queued' });
    expect(lines(marker(second.target), 'start')).toBe(0);
    ctx.rows.push(rowFromRun('8 graceful stop', 'step finished during SIGTERM', faultAt, done!));

    // Nothing was lost: the next process takes it.
    await launch(ctx, { name: 'remediator-2', redisUrl: redis.url, runbooksDir, env });
    const later = await endedRun(client, 'the run left waiting', 90_000, (r) => r.id === second.id);
    expect(later).toMatchObject({ status: 'succeeded', reason: 'verified' });
    expect(lines(marker(second.target), 'start')).toBe(1);
    ctx.rows.push(rowFromRun('8 graceful stop', 'waiting run, after the restart', faultAt, later));
  },
};
