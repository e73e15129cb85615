import { expect } from 'vitest';
import { adminState, inject, instance, pidOf, restartsSince } from '../harness/fleet-control.ts';
import { endedRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { startBasics } from './common.ts';

/** A busy CPU only a restart clears: the demo runbook restarts the instance over SSH. */
export const cpuExhaustion: Scenario = {
  id: '03-cpu-exhaustion',
  title: '3. CPU exhaustion -> restart',
  timeoutMs: 150_000,
  async run(ctx) {
    const { redis } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const target = instance(ctx.stack, instanceName('payment-service', 1));
    const pidBefore = await pidOf(ctx.stack, target);
    const faultAt = await inject(target, 'cpu-burn');
    ctx.note(`cpu-burn injected on ${target.name}`);
    const run = await endedRun(
      client,
      `the HighCpuUsage run for ${target.name}`,
      90_000,
      (r) => r.alert.labels['instance'] === target.name && r.alert.labels['alertname'] === 'HighCpuUsage',
    );
    ctx.rows.push(rowFromRun('3 CPU exhaustion', 'restart', faultAt, run));
    expect(run).toMatchObject({ runbook: 'restart-cpu-burner', status: 'succeeded', reason: 'verified' });
    expect(run.steps.map((s) => [s.name, s.status, s.verify?.ok])).toEqual([['restart', 'succeeded', true]]);
    // Restored before it was called verified: one restart, whose new process was up by then.
    const restarts = await restartsSince(ctx.stack, target, faultAt);
    expect(restarts).toHaveLength(1);
    expect(restarts[0]!).toBeLessThan(ctx.rows[0]!.verifiedAt!);
    expect(await pidOf(ctx.stack, target)).not.toBe(pidBefore);
    expect((await adminState(target)).faults.cpuBurn).toBe(false);
  },
};
