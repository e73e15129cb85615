import { expect } from 'vitest';
import { adminState, downtimesSince, inject, instance } from '../harness/fleet-control.ts';
import { allRuns, ENDED } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { startBasics } from './common.ts';

/**
 * The CPU of three instances of one service burns at once. The demo runbook heals by `service`
 * group, one instance at a time: the runs wait their turn, no two act (restart and verification) at
 * the same time, and every instance recovers.
 */
export const simultaneous: Scenario = {
  id: '04-simultaneous',
  title: '4. Simultaneous failures -> one at a time',
  timeoutMs: 240_000,
  async run(ctx) {
    const { redis } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const targets = [1, 2, 3].map((n) => instance(ctx.stack, instanceName('user-service', n)));
    const names = new Set(targets.map((t) => t.name));
    const faultAt = Date.now();
    await Promise.all(targets.map((t) => inject(t, 'cpu-burn')));
    ctx.note(`cpu-burn injected on ${[...names].join(', ')}`);
    const runs = await until('the three HighCpuUsage runs to end', 180_000, async () => {
      const found = (await allRuns(client)).filter(
        (r) => names.has(r.alert.labels['instance'] ?? '') && r.alert.labels['alertname'] === 'HighCpuUsage',
      );
      return found.length >= 3 && found.every((r) => ENDED.has(r.status)) ? found : undefined;
    });
    runs.sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''));
    for (const run of runs) ctx.rows.push(rowFromRun('4 simultaneous', run.target, faultAt, run));
    expect(runs.map((r) => [r.target, r.status, r.reason])).toEqual(
      runs.map((r) => [r.target, 'succeeded', 'verified']),
    );
    expect(new Set(runs.map((r) => r.target))).toEqual(names);
    // One at a time: each run acted (first step to the end) after the previous one had ended.
    const spans = runs.map((r) => ({
      from: Date.parse(r.steps[0]!.startedAt!),
      to: Date.parse(r.finishedAt!),
    }));
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.from).toBeGreaterThanOrEqual(spans[i - 1]!.to);
    // The two that waited were told why: the group was busy.
    const waited = runs.filter((r) =>
      r.decisions?.some((d) => d.decision === 'wait' && d.reason === 'group_busy'),
    );
    expect(waited.length).toBeGreaterThanOrEqual(2);
    // Each instance went down once, inside its own run's span, and was back up before the next
    // instance of the service went down: never two down at once.
    const downs = [];
    for (const [i, run] of runs.entries()) {
      const spansOfRun = await downtimesSince(ctx.stack, instance(ctx.stack, run.target), faultAt);
      ctx.note(`${run.target}: run ${JSON.stringify(spans[i])}, down ${JSON.stringify(spansOfRun)}`);
      expect(spansOfRun).toHaveLength(1);
      const down = spansOfRun[0]!;
      expect(down.to).toBeDefined();
      expect(down.from).toBeGreaterThanOrEqual(spans[i]!.from);
      downs.push(down);
    }
    for (let i = 1; i < downs.length; i++) expect(downs[i]!.from).toBeGreaterThan(downs[i - 1]!.to!);
    for (const t of targets) expect((await adminState(t)).faults.cpuBurn).toBe(false);
  },
};
