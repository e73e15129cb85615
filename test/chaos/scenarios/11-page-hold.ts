import { expect } from 'vitest';
import { inject, instance } from '../harness/fleet-control.ts';
import { DEMO, writeRunbook } from '../harness/runbooks.ts';
import { endedRun, getRun } from '../harness/runs.ts';
import type { Scenario } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { pagedFor, rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import { startBasics } from './common.ts';

/** A HighCpuUsage runbook for one service that holds people's page while it runs `command`. */
function cpuRunbook(name: string, service: string, command: string): string {
  return `name: ${name}
description: Chaos suite page hold (${service}).
match: ['alertname = "HighCpuUsage"', 'service = "${service}"']
target: '{{labels.instance}}'
pageHold: true
params:
  service: { from: '{{labels.service}}', pattern: '[a-z][a-z0-9-]{0,40}' }
  instance: { from: '{{labels.instance}}', pattern: '[a-z0-9.-]{1,40}:[0-9]{1,5}' }
policy: { cooldown: 0s }
steps:
  - name: restart
    ssh: { command: ${command}, timeout: 20s }
    verify: { alertResolved: 40s }
`;
}

/**
 * Page holds through the real Alertmanager pair: two CPU burns fire, each healed by a runbook with
 * `pageHold: true`. One heals (restart): people are never paged for it. The other's step fails: the
 * hold is released and people's route pages them at its next flush (alertmanager.yml: people's
 * group_wait 10s, group_interval 5s).
 */
export const pageHold: Scenario = {
  id: '11-page-hold',
  title: '11. Page hold: healed -> nobody paged; failed -> paged at the next flush',
  timeoutMs: 240_000,
  async run(ctx) {
    const { stack } = ctx;
    const { redis } = await startBasics(ctx, {
      omitDemo: [DEMO.cpu],
      env: { REMEDIATOR_ALERTMANAGER_URL: `${stack.alertmanagers.a.url},${stack.alertmanagers.b.url}` },
      extra: async (dir) => {
        await writeRunbook(
          dir,
          'heal.yaml',
          cpuRunbook(
            'chaos-hold-heal',
            'user-service',
            `[demo-restart, '{{params.service}}', '{{params.instance}}']`,
          ),
        );
        await writeRunbook(
          dir,
          'fail.yaml',
          cpuRunbook('chaos-hold-fail', 'order-service', `[sh, -c, 'exit 3']`),
        );
      },
    });
    const client = ctx.redis(redis.url);
    const healing = instance(stack, instanceName('user-service', 2));
    const failing = instance(stack, instanceName('order-service', 2));
    const faultAt = Date.now();
    await Promise.all([inject(healing, 'cpu-burn'), inject(failing, 'cpu-burn')]);
    ctx.note(`cpu-burn on ${healing.name} (runbook heals) and ${failing.name} (runbook fails)`);
    const of = (target: string) => (r: { alert: { labels: Record<string, string> } }) =>
      r.alert.labels['instance'] === target && r.alert.labels['alertname'] === 'HighCpuUsage';

    const failed = await endedRun(client, `the failing run on ${failing.name}`, 120_000, of(failing.name));
    expect(failed).toMatchObject({ runbook: 'chaos-hold-fail', status: 'failed' });
    expect(failed.pageHold?.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['hold:created', 'hold:released']),
    );
    const failedAt = Date.parse(failed.finishedAt!);
    // People: their group_wait from the alert's start, or one group_interval after the release.
    const pagedAt = await until(`people to be paged for ${failing.name}`, 60_000, () => {
      const hit = stack.humans.requests.find((r) => pagedFor([r.body], failed.alert) !== 'no');
      return hit ? Date.now() : undefined;
    });
    ctx.note(
      `people paged for ${failing.name} ${((pagedAt - failedAt) / 1000).toFixed(1)} s after the run failed`,
    );
    expect(pagedAt - failedAt).toBeLessThan(10_000 + 5_000 + 10_000);

    const healed = await endedRun(client, `the healing run on ${healing.name}`, 120_000, of(healing.name));
    expect(healed).toMatchObject({ runbook: 'chaos-hold-heal', status: 'succeeded' });
    // Held until Alertmanager no longer lists the alert, then removed: a page avoided.
    const removed = await until('the healed hold to be removed', 90_000, async () => {
      const run = await getRun(client, healed.id);
      return run?.pageHold?.events.some((e) => e.type === 'hold:removed') ? run : undefined;
    });
    ctx.note(`hold of ${healing.name} removed: ${JSON.stringify(removed.pageHold?.events.at(-1))}`);
    // One more flush of people's route after the removal: still nobody paged for the healed alert.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(
      pagedFor(
        stack.humans.requests.map((r) => r.body),
        healed.alert,
      ),
    ).toBe('no');
    ctx.rows.push(rowFromRun('11 page hold', 'healed', faultAt, removed));
    ctx.rows.push(rowFromRun('11 page hold', 'failed', faultAt, failed));
  },
};
