import { expect } from 'vitest';
import type { FleetInstance } from '../../../demo/fleet.ts';
import { clusterSize } from '../harness/alertmanagers.ts';
import { inject, instance } from '../harness/fleet-control.ts';
import { endedRun, runsFor } from '../harness/runs.ts';
import type { Scenario, ScenarioContext } from '../harness/scenario.ts';
import { instanceName } from '../harness/stack.ts';
import { rowFromRun } from '../harness/timeline.ts';
import { until } from '../harness/wait.ts';
import type { Redis } from 'ioredis';
import { startBasics } from './common.ts';

/**
 * Both Alertmanagers get every alert from Prometheus and may both deliver it. Clustered, they
 * usually agree (gossip) that one sends; partitioned, both send everything. Either way each alert
 * occurrence makes exactly one run.
 */
export const haDelivery: Scenario = {
  id: '05-ha-delivery',
  title: '5. HA delivery: two Alertmanagers, one run per occurrence (clustered, then partitioned)',
  timeoutMs: 240_000,
  async run(ctx) {
    const { redis } = await startBasics(ctx);
    const client = ctx.redis(redis.url);
    const { alertmanagers: ams } = ctx.stack;
    expect([await clusterSize(ams.a.url), await clusterSize(ams.b.url)]).toEqual([2, 2]);
    const clustered = await poolExhaustion(
      ctx,
      client,
      instance(ctx.stack, instanceName('order-service', 2)),
    );
    ctx.rows.push({
      ...clustered.row,
      what: 'clustered',
      note: `${clustered.copies} cop${clustered.copies === 1 ? 'y' : 'ies'} delivered, 1 run`,
    });

    await ams.partition();
    ctx.defer(() => ams.heal());
    ctx.note('Alertmanagers partitioned: each sees itself alone');
    const split = await poolExhaustion(ctx, client, instance(ctx.stack, instanceName('payment-service', 2)));
    ctx.rows.push({
      ...split.row,
      what: 'partitioned',
      note: `${split.copies} copies (one from each), 1 run`,
    });
    // Partitioned, both sent it: remediator got the firing alert from each, and still made one run.
    expect(split.senders).toEqual([ams.a.url, ams.b.url].sort());
    await ams.heal();
    ctx.note('partition healed');
  },
};

/** Exhausts `target`'s pool and checks what reached remediator and what it made of it. */
async function poolExhaustion(ctx: ScenarioContext, client: Redis, target: FleetInstance) {
  const { alertmanagers: ams, tap } = ctx.stack;
  const faultAt = await inject(target, 'pool-exhaustion');
  ctx.note(`pool exhausted on ${target.name}`);
  // Prometheus sends the alert to both Alertmanagers: each lists it.
  await until(`both Alertmanagers to list the alert for ${target.name}`, 60_000, async () => {
    for (const url of [ams.a.url, ams.b.url]) {
      const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as Array<{
        labels: Record<string, string>;
      }>;
      if (
        !alerts.some(
          (a) => a.labels['instance'] === target.name && a.labels['alertname'] === 'ConnectionPoolExhausted',
        )
      )
        return false;
    }
    return true;
  });
  const run = await endedRun(
    client,
    `the ConnectionPoolExhausted run for ${target.name}`,
    90_000,
    (r) =>
      r.alert.labels['instance'] === target.name && r.alert.labels['alertname'] === 'ConnectionPoolExhausted',
  );
  expect(run).toMatchObject({ runbook: 'resize-connection-pool', status: 'succeeded', reason: 'verified' });
  // Every firing copy of this occurrence that reached the webhook, from whichever Alertmanager.
  const copies = tap.deliveries.filter(
    (d) =>
      d.at >= faultAt &&
      d.alerts.some(
        (a) =>
          a.status === 'firing' &&
          a.fingerprint === run.alert.fingerprint &&
          a.startsAt === run.alert.startsAt,
      ),
  );
  expect(copies.length).toBeGreaterThanOrEqual(1);
  expect(copies.every((c) => c.status === 202)).toBe(true);
  // Exactly one run for this alert: the copies were duplicates of it.
  expect(await runsFor(client, target.name, 'ConnectionPoolExhausted')).toHaveLength(1);
  ctx.note(`copies: ${JSON.stringify(copies.map((c) => ({ from: c.from, at: c.at, status: c.status })))}`);
  return {
    row: rowFromRun('5 HA delivery', '', faultAt, run),
    copies: copies.length,
    senders: [...new Set(copies.map((c) => c.from))].sort(),
  };
}
