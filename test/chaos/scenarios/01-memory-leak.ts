import { expect } from 'vitest';
import { MEMORY_LIMIT_BYTES } from '../../../demo/sim.ts';
import { adminState, inject, instance, restartsSince } from '../harness/fleet-control.ts';
import { endedRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { startBasics } from './common.ts';

/**
 * A leak release-memory cannot free: the demo runbook's gentle step runs and its verification says it
 * was not enough (the alert is still firing 20 s later), so the restart over SSH follows and the alert
 * resolves.
 */
export const memoryLeak: Scenario = {
  id: '01-memory-leak',
  title: '1. Memory leak -> gentle, then restart',
  timeoutMs: 180_000,
  async run(ctx) {
    const { redis } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const target = instance(ctx.stack, instanceName('user-service', 1));
    const faultAt = await inject(target, 'memory-leak', { mibPerSecond: 64, releasable: false });
    ctx.note(`non-releasable memory leak injected on ${target.name}`);
    const run = await endedRun(
      client,
      `the HighMemoryUsage run for ${target.name}`,
      120_000,
      (r) => r.alert.labels['instance'] === target.name && r.alert.labels['alertname'] === 'HighMemoryUsage',
    );
    ctx.rows.push(rowFromRun('1 memory leak', 'gentle, then restart', faultAt, run));
    expect(run).toMatchObject({
      runbook: 'restart-leaking-service',
      status: 'succeeded',
      reason: 'verified',
    });
    const [gentle, restart] = run.steps;
    // The gentle step ran (the service answered), its check failed, and only then the restart ran.
    expect(gentle).toMatchObject({ name: 'release-memory', status: 'succeeded', httpStatus: 200 });
    expect(gentle!.output).toContain('"freedBytes":0');
    expect(gentle!.verify).toMatchObject({ kind: 'alertResolved', ok: false });
    expect(restart).toMatchObject({ name: 'restart', status: 'succeeded', exitCode: 0 });
    expect(restart!.verify).toMatchObject({ kind: 'alertResolved', ok: true });
    expect(Date.parse(restart!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(gentle!.finishedAt!) + 19_000);
    const restarts = await restartsSince(ctx.stack, target, faultAt);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]!).toBeLessThan(ctx.rows[0]!.verifiedAt!);
    const state = await adminState(target);
    expect(state.faults.leakBytesPerSecond).toBe(0);
    expect(state.memoryBytes).toBeLessThan(0.5 * MEMORY_LIMIT_BYTES);
    // One occurrence, one run: nothing else was started for it.
    expect(await client.zcard('remediator:runs')).toBe(1);
  },
};
