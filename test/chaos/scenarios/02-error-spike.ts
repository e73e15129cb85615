import { expect } from 'vitest';
import {
  adminState,
  DRAINED,
  haproxyServer,
  inject,
  instance,
  restartsSince,
} from '../harness/fleet-control.ts';
import { endedRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { startBasics } from './common.ts';

/**
 * An error spike: the demo runbook drains the instance in HAProxy (seen here through HAProxy's own
 * runtime API), restarts it, waits for the error rate to drop, and returns it to service.
 */
export const errorSpike: Scenario = {
  id: '02-error-spike',
  title: '2. Error spike -> drain, heal, undrain',
  timeoutMs: 240_000,
  async run(ctx) {
    const { redis } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const target = instance(ctx.stack, instanceName('order-service', 1));
    expect(await haproxyServer(ctx.stack, target)).toMatchObject({ admin: 0 });
    // HAProxy's view, sampled every 100 ms from the fault until the run ends.
    const seen: Array<{ at: number; op: number; admin: number }> = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const state = await haproxyServer(ctx.stack, target).catch(() => undefined);
        if (state) seen.push({ at: Date.now(), ...state });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    ctx.defer(async () => {
      watching = false;
      await watcher;
    });
    const faultAt = await inject(target, 'error-spike', { ratio: 0.5 });
    ctx.note(`error spike (50%) injected on ${target.name}`);
    const run = await endedRun(
      client,
      `the HighErrorRate run for ${target.name}`,
      180_000,
      (r) => r.alert.labels['instance'] === target.name && r.alert.labels['alertname'] === 'HighErrorRate',
    );
    watching = false;
    await watcher;
    ctx.rows.push(rowFromRun('2 error spike', 'drain, restart, undrain', faultAt, run));
    expect(run).toMatchObject({
      runbook: 'drain-erroring-instance',
      status: 'succeeded',
      reason: 'verified',
    });
    const [drain, restart] = run.steps;
    expect(drain).toMatchObject({ name: 'drain', status: 'succeeded', exitCode: 0 });
    expect(drain!.undo).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(restart).toMatchObject({ name: 'restart', status: 'succeeded', exitCode: 0 });
    expect(restart!.verify).toMatchObject({ kind: 'alertResolved', ok: true });
    // Really drained while it was being healed: HAProxy reported the drain flag from the drain step
    // until the undo, and not before the run started.
    const drainStart = Date.parse(drain!.startedAt!);
    const drained = seen.filter((s) => (s.admin & DRAINED) !== 0);
    expect(drained.length).toBeGreaterThan(0);
    expect(drained[0]!.at).toBeGreaterThanOrEqual(drainStart);
    expect(seen.filter((s) => s.at < drainStart).every((s) => (s.admin & DRAINED) === 0)).toBe(true);
    // Drained through the restart and the verification: the flag was up when the restart ran.
    const restartAt = Date.parse(restart!.startedAt!);
    expect(drained.some((s) => s.at >= restartAt)).toBe(true);
    // Back in service: not drained, and HAProxy's health check sees the fresh process running.
    expect((await haproxyServer(ctx.stack, target)).admin & DRAINED).toBe(0);
    await until(
      `HAProxy to see ${target.name} up`,
      20_000,
      async () => (await haproxyServer(ctx.stack, target)).op === 2,
    );
    expect(await restartsSince(ctx.stack, target, faultAt)).toHaveLength(1);
    expect((await adminState(target)).faults.errorRatio).toBe(0);
  },
};
